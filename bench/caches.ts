import { createCache } from '../lib/caches';
import type { KeyValueCache } from '../lib/contract';
import { FULL_TIMING, QUICK_TIMING, type Subject, timeInterleaved } from './measure';
import { formatNs, formatRatio, table, type Verdict } from './report';

/**
 * Key-value caches beside their TypeScript peers, per operation: get (a hit), set,
 * multiGet of 100 keys, increment. Each library is used as its README shows, with the
 * serializer named in the row; the ratio column compares with keyv using the same
 * serializer (keyv's default is JSON; `serialize: undefined` turns it off).
 *
 *   npx tsx bench/caches.ts            (BENCH_QUICK=1 for a short pass)
 *
 * Peers without an atomic increment show "n/a": emulating it with get+set would time
 * something that is not the same operation.
 */
export interface CacheBenchRow {
  backend: string;
  op: string;
  library: string;
  /** Median ns per operation. */
  ns: number;
  /** Over its pair: keyv with the same serializer (memory), the raw command through the same client (Redis). */
  vsKeyv?: number;
  note?: string;
}

const VALUE = { id: 42, name: 'small value', tags: ['a', 'b'] };
const KEYS = Array.from({ length: 100 }, (_, i) => `k${i}`);

/** One library's four operations; an absent one is reported with `note`. */
interface Contender {
  library: string;
  /** The keyv row it is compared with. */
  pair?: string;
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<unknown>;
  multiGet(keys: string[]): Promise<unknown>;
  increment?(key: string): Promise<unknown>;
  close?(): Promise<unknown>;
}

/** `asText`: the value is stored as its JSON text (serializer 'none' on a byte store, like the raw GET's floor). */
function memoir(library: string, cache: KeyValueCache, pair: string, asText = false): Contender {
  return {
    library,
    pair,
    get: (key) => cache.get(key),
    set: (key, value) => cache.set(key, asText ? JSON.stringify(value) : value),
    multiGet: (keys) => cache.multiGet(keys),
    increment: (key) => cache.increment(key),
    close: () => cache.close(),
  };
}

async function memoryContenders(): Promise<Contender[]> {
  const { default: Keyv } = await import('keyv');
  const { createCache: createCacheManager } = await import('cache-manager');
  const { createStorage } = await import('unstorage');
  const { default: memoryDriver } = await import('unstorage/drivers/memory');
  const keyvJson = new Keyv();
  const keyvPlain = new Keyv({ serialize: undefined, deserialize: undefined });
  const manager = createCacheManager();
  const storage = createStorage({ driver: memoryDriver() });
  const keyv = (library: string, k: InstanceType<typeof Keyv>): Contender => ({
    library,
    get: (key) => k.get(key),
    set: (key, value) => k.set(key, value),
    multiGet: (keys) => k.getMany(keys),
  });
  return [
    keyv('keyv (no serializer)', keyvPlain),
    memoir("memoir MemoryCache ('none')", createCache({ backend: 'memory', namespace: 'bench-none' }), 'keyv (no serializer)'),
    keyv('keyv (JSON, its default)', keyvJson),
    memoir("memoir MemoryCache ('json')", createCache({ backend: 'memory', namespace: 'bench-json', serializer: 'json' }), 'keyv (JSON, its default)'),
    {
      library: 'cache-manager (in-memory Keyv)',
      get: (key) => manager.get(key),
      set: (key, value) => manager.set(key, value),
      multiGet: (keys) => manager.mget(keys),
      close: () => manager.disconnect(),
    },
    {
      library: 'unstorage (memory driver)',
      get: (key) => storage.getItem(key),
      set: (key, value) => storage.setItem(key, value as never),
      multiGet: (keys) => storage.getItems(keys),
      close: () => storage.dispose(),
    },
  ];
}

async function measure(backend: string, contenders: Contender[], quick: boolean, closeAll = true): Promise<CacheBenchRow[]> {
  const timing = quick ? QUICK_TIMING : FULL_TIMING;
  for (const contender of contenders) {
    for (const key of KEYS) await contender.set(key, VALUE);
    await contender.increment?.('counter');
  }
  // Connections, caches of the clients and the JIT settle before anything is timed.
  const warmUntil = Date.now() + (quick ? 100 : 500);
  for (let i = 0; Date.now() < warmUntil; i++) {
    for (const contender of contenders) await contender.get(KEYS[i % KEYS.length]);
  }
  const ops: Array<[string, (c: Contender) => ((i: number) => Promise<unknown>) | undefined]> = [
    ['get (hit)', (c) => (i) => c.get(KEYS[i % KEYS.length])],
    ['set', (c) => (i) => c.set(KEYS[i % KEYS.length], VALUE)],
    ['multiGet of 100 keys', (c) => () => c.multiGet(KEYS)],
    ['increment', (c) => (c.increment ? () => c.increment!('counter') : undefined)],
  ];
  const rows: CacheBenchRow[] = [];
  for (const [op, pick] of ops) {
    const measured = contenders.map((contender) => ({ contender, call: pick(contender) }));
    const subjects: Subject[] = measured.filter((m) => m.call).map((m) => ({ sync: false, call: m.call! }));
    const timings = await timeInterleaved(subjects, timing);
    let t = 0;
    const opRows = measured.map(({ contender, call }): CacheBenchRow => {
      if (!call) return { backend, op, library: contender.library, ns: Number.NaN, note: 'n/a: no atomic increment' };
      if (contender.library.startsWith('(floor)')) return { backend, op, library: contender.library, ns: timings[t++].medianNs };
      return { backend, op, library: contender.library, ns: timings[t++].medianNs };
    });
    for (const row of opRows) {
      const pair = contenders.find((c) => c.library === row.library)?.pair;
      if (pair) contenderPairs.set(row.library, pair);
      const keyv = opRows.find((other) => other.library === pair);
      if (keyv && Number.isFinite(keyv.ns)) row.vsKeyv = row.ns / keyv.ns;
    }
    rows.push(...opRows);
  }
  if (closeAll) for (const contender of contenders) await contender.close?.();
  else for (const contender of contenders) if (contender.library.startsWith('memoir')) await contender.close?.();
  return rows;
}

/**
 * On a redis-server of the benchmark's own (a loopback port in 6530-6549, nothing persisted):
 * memoir's RedisCache through a node-redis client of the benchmark's, and the floor through
 * that same client (a raw GET; a raw GET + JSON.parse for the json rows), beside keyv with
 * @keyv/redis and unstorage's redis driver (both JSON by default).
 */
async function redisContenders(url: string): Promise<{ contenders: Contender[]; close(): Promise<void> }> {
  const { createClient } = await import('redis');
  const { default: Keyv } = await import('keyv');
  const { default: KeyvRedis } = await import('@keyv/redis');
  const { createStorage } = await import('unstorage');
  const { default: redisDriver } = await import('unstorage/drivers/redis');
  const client = createClient({ url });
  await client.connect();
  const keyv = new Keyv(new KeyvRedis(url), { namespace: 'bench-keyv' });
  const storage = createStorage({ driver: redisDriver({ url, base: 'bench-unstorage' }) });
  const floorKey = (key: string) => `bench-floor:${key}`;
  const floor: Contender = {
    library: '(floor) raw commands, same client',
    get: (key) => client.get(floorKey(key)),
    set: (key, value) => client.set(floorKey(key), JSON.stringify(value)),
    multiGet: (keys) => client.mGet(keys.map(floorKey)),
    increment: () => client.incrBy('bench-floor:counter', 1),
  };
  const floorJson: Contender = {
    library: '(floor) raw commands + JSON',
    get: async (key) => JSON.parse((await client.get(floorKey(key))) as string),
    set: (key, value) => client.set(floorKey(key), JSON.stringify(value)),
    multiGet: async (keys) => (await client.mGet(keys.map(floorKey))).map((raw) => (raw === null ? undefined : JSON.parse(raw))),
  };
  const contenders: Contender[] = [
    floor,
    memoir("memoir RedisCache ('none')", createCache({ backend: 'redis', redis: client, namespace: 'bench-none', serializer: 'none' }), floor.library, true),
    floorJson,
    memoir("memoir RedisCache ('json')", createCache({ backend: 'redis', redis: client, namespace: 'bench-json', serializer: 'json' }), floorJson.library),
    memoir("memoir RedisCache ('v8')", createCache({ backend: 'redis', redis: client, namespace: 'bench-v8' }), floorJson.library),
    {
      library: 'keyv + @keyv/redis (JSON)',
      get: (key) => keyv.get(key),
      set: (key, value) => keyv.set(key, value),
      multiGet: (keys) => keyv.getMany(keys),
    },
    {
      library: 'unstorage redis driver (JSON)',
      get: (key) => storage.getItem(key),
      set: (key, value) => storage.setItem(key, value as never),
      multiGet: (keys) => storage.getItems(keys),
    },
  ];
  return {
    contenders,
    async close() {
      await keyv.disconnect();
      await storage.dispose();
      client.destroy();
    },
  };
}

export async function runCachesBenchmark(options: { quick?: boolean; redis?: boolean } = {}): Promise<CacheBenchRow[]> {
  const quick = options.quick ?? process.env.BENCH_QUICK === '1';
  const rows = await measure('memory', await memoryContenders(), quick);
  if (options.redis === false) return rows;
  const { answersPing, RedisServer } = await import('../test/support/redis-server');
  let port = 6530;
  while (port < 6550 && (await answersPing(port))) port++;
  const server = await RedisServer.start(port);
  try {
    const redis = await redisContenders(server.url);
    try {
      rows.push(...(await measure('redis', redis.contenders, quick, false)));
    } finally {
      await redis.close();
    }
  } finally {
    await server.stop();
  }
  return rows;
}

export function formatRows(rows: CacheBenchRow[]): string {
  return table(
    ['backend', 'operation', 'library', 'median/op', 'vs its pair', 'note'],
    rows.map((row) => [row.backend, row.op, row.library, formatNs(row.ns), row.vsKeyv === undefined ? '' : formatRatio(row.vsKeyv), row.note ?? '']),
    ['left', 'left', 'left', 'right', 'right', 'left'],
  );
}

/**
 * Issue 15's targets: memory get within 1.5x keyv's in-memory get with the same serializer;
 * Redis get within 1.2x a raw GET through the same client (plus JSON.parse for json, v8).
 */
export function cachesVerdicts(rows: CacheBenchRow[]): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const row of rows) {
    if (row.op !== 'get (hit)' || row.vsKeyv === undefined || !row.library.startsWith('memoir')) continue;
    const limit = row.backend === 'memory' ? 1.5 : 1.2;
    const against = row.backend === 'memory' ? "keyv's in-memory get, same serializer" : (contenderPairs.get(row.library) ?? 'the raw GET');
    verdicts.push({
      target: `${row.library} get <= ${limit}x ${against}`,
      measured: `${formatNs(row.ns)} (${formatRatio(row.vsKeyv)})`,
      pass: row.vsKeyv <= limit,
    });
  }
  return verdicts;
}

/** What each memoir row was compared with, for the verdicts' wording. */
const contenderPairs = new Map<string, string>();

if (require.main === module) {
  runCachesBenchmark().then((rows) => {
    console.log(formatRows(rows));
    console.log(table(['target', 'memoir', 'verdict'], cachesVerdicts(rows).map((v) => [v.target, v.measured, v.pass ? 'PASS' : 'MISS'])));
  });
}
