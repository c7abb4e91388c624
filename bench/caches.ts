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
  /** Over keyv with the same serializer, when there is one. */
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

function memoir(library: string, cache: KeyValueCache, pair: string): Contender {
  return {
    library,
    pair,
    get: (key) => cache.get(key),
    set: (key, value) => cache.set(key, value),
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

async function measure(backend: string, contenders: Contender[], quick: boolean): Promise<CacheBenchRow[]> {
  const timing = quick ? QUICK_TIMING : FULL_TIMING;
  for (const contender of contenders) {
    for (const key of KEYS) await contender.set(key, VALUE);
    await contender.increment?.('counter');
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
      return { backend, op, library: contender.library, ns: timings[t++].medianNs };
    });
    for (const row of opRows) {
      const pair = contenders.find((c) => c.library === row.library)?.pair;
      const keyv = opRows.find((other) => other.library === pair);
      if (keyv && Number.isFinite(keyv.ns)) row.vsKeyv = row.ns / keyv.ns;
    }
    rows.push(...opRows);
  }
  for (const contender of contenders) await contender.close?.();
  return rows;
}

export async function runCachesBenchmark(options: { quick?: boolean } = {}): Promise<CacheBenchRow[]> {
  const quick = options.quick ?? process.env.BENCH_QUICK === '1';
  return measure('memory', await memoryContenders(), quick);
}

export function formatRows(rows: CacheBenchRow[]): string {
  return table(
    ['backend', 'operation', 'library', 'median/op', 'vs keyv, same serializer', 'note'],
    rows.map((row) => [row.backend, row.op, row.library, formatNs(row.ns), row.vsKeyv === undefined ? '' : formatRatio(row.vsKeyv), row.note ?? '']),
    ['left', 'left', 'left', 'right', 'right', 'left'],
  );
}

/** Issue 15's targets: memory get within 1.5x keyv's in-memory get with the same serializer. */
export function cachesVerdicts(rows: CacheBenchRow[]): Verdict[] {
  return rows
    .filter((row) => row.backend === 'memory' && row.op === 'get (hit)' && row.vsKeyv !== undefined)
    .map((row) => ({
      target: `${row.library} get <= 1.5x keyv's in-memory get, same serializer`,
      measured: `${formatNs(row.ns)} (${formatRatio(row.vsKeyv!)})`,
      pass: row.vsKeyv! <= 1.5,
    }));
}

if (require.main === module) {
  runCachesBenchmark().then((rows) => {
    console.log(formatRows(rows));
    console.log(table(['target', 'memoir', 'verdict'], cachesVerdicts(rows).map((v) => [v.target, v.measured, v.pass ? 'PASS' : 'MISS'])));
  });
}
