import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCache, DictCache, type KeyValueCache, SentinelCache, SetCache, SortedSetCache, ValueCache } from '../lib';
import { FULL_TIMING, QUICK_TIMING, timeAlternating, timeInterleaved } from './measure';
import { formatNs, formatRatio, table, type Verdict } from './report';

/**
 * The data-structure caches' main operations on Redis, each beside the raw command through the
 * same node-redis client (the floor: one round trip, nothing around it), on a redis-server of
 * the benchmark's own (a loopback port in 7190-7199, nothing persisted). The structures use
 * `serialize = false` so both sides send the same bytes. With a `ttl` the operation is one
 * EVALSHA (command + PEXPIRE); its floor is the same two commands in MULTI/EXEC.
 *
 * Then what the structures cost where they are one stored value changed by compare-and-set
 * (file, SQLite): an add and a pop on sets of 100 and 1,000 members, beside memory's native
 * structures. No verdict there: it is the price of the layout, documented in docs/structures.md.
 *
 *   npx tsx bench/structures.ts            (BENCH_QUICK=1 for a short pass)
 */
export interface StructureBenchRow {
  backend: string;
  op: string;
  library: string;
  /** Median ns per operation. */
  ns: number;
  /** Over the raw command(s) through the same client. */
  vsRaw?: number;
}

type Op = (i: number) => Promise<unknown>;

interface Pair {
  op: string;
  memoir: Op;
  raw: Op;
  /** Verdict on this row (single commands); the ttl rows are shown, not judged. */
  judged: boolean;
}

async function redisPairs(url: string, quick: boolean): Promise<{ pairs: Pair[]; close(): Promise<void> }> {
  const { createClient } = await import('redis');
  const client = createClient({ url });
  await client.connect();
  const cache = createCache({ backend: 'redis', redis: client, namespace: 'bench-structures' });
  const on = <C extends abstract new (...args: any[]) => unknown>(Base: C, ttl?: string) => {
    abstract class Bound extends (Base as unknown as typeof ValueCache) {
      static override cache = cache;
      static override serialize = false;
      static override ttl = ttl;
    }
    return Bound as unknown as C;
  };
  const Counter = on(ValueCache);
  const TimedCounter = on(ValueCache, '1h');
  const Dict = on(DictCache);
  const TimedDict = on(DictCache, '1h');
  const Members = on(SetCache);
  const Queue = on(SortedSetCache);
  const TimedQueue = on(SortedSetCache, '1h');
  const Gate = on(SentinelCache);

  // Enough members that no pop of the run finds the set empty.
  const size = quick ? 20_000 : 300_000;
  const members = Array.from({ length: size }, (_, i): [number, string] => [i, `m${i}`]);
  await new Queue('queue', { data: members }).ready();
  await new TimedQueue('timed-queue', { data: members }).ready();
  for (const key of ['raw-queue', 'raw-timed-queue']) {
    for (let at = 0; at < size; at += 1_000) {
      await client.zAdd(key, members.slice(at, at + 1_000).map(([score, value]) => ({ score, value })));
    }
  }
  await new Gate('gate').claim();
  await client.set('raw-gate', '1');

  const keys = Array.from({ length: 100 }, (_, i) => `f${i}`);
  const raw = (...commands: string[][]) => {
    if (commands.length === 1) return client.sendCommand(commands[0]);
    const multi = client.multi();
    for (const command of commands) multi.addCommand(command);
    return multi.exec();
  };
  const ms = String(3_600_000);
  const pairs: Pair[] = [
    { op: 'ValueCache.increment', memoir: () => new Counter('counter').increment(), raw: () => raw(['INCRBY', 'raw-counter', '1']), judged: true },
    { op: 'DictCache.set', memoir: (i) => new Dict('dict').set(keys[i % 100], i), raw: (i) => raw(['HSET', 'raw-dict', keys[i % 100], String(i)]), judged: true },
    { op: 'DictCache.get', memoir: (i) => new Dict('dict').get(keys[i % 100]), raw: (i) => raw(['HGET', 'raw-dict', keys[i % 100]]), judged: true },
    { op: 'SetCache.add', memoir: (i) => new Members('set').add(keys[i % 100]), raw: (i) => raw(['SADD', 'raw-set', keys[i % 100]]), judged: true },
    { op: 'SetCache.has', memoir: (i) => new Members('set').has(keys[i % 100]), raw: (i) => raw(['SISMEMBER', 'raw-set', keys[i % 100]]), judged: true },
    { op: 'SortedSetCache.add', memoir: (i) => new Queue('zadd').add(i, keys[i % 100]), raw: (i) => raw(['ZADD', 'raw-zadd', String(i), keys[i % 100]]), judged: true },
    { op: 'SortedSetCache.pop', memoir: () => new Queue('queue').pop(), raw: () => raw(['ZPOPMIN', 'raw-queue']), judged: true },
    { op: 'SentinelCache.claim (taken)', memoir: () => new Gate('gate').claim(), raw: () => raw(['SET', 'raw-gate', '1', 'NX']), judged: true },
    {
      op: 'ValueCache.increment, ttl',
      memoir: () => new TimedCounter('timed-counter').increment(),
      raw: () => raw(['INCRBY', 'raw-timed-counter', '1'], ['PEXPIRE', 'raw-timed-counter', ms]),
      judged: false,
    },
    {
      op: 'DictCache.set, ttl',
      memoir: (i) => new TimedDict('timed-dict').set(keys[i % 100], i),
      raw: (i) => raw(['HSET', 'raw-timed-dict', keys[i % 100], String(i)], ['PEXPIRE', 'raw-timed-dict', ms]),
      judged: false,
    },
    {
      op: 'SortedSetCache.pop, ttl',
      memoir: () => new TimedQueue('timed-queue').pop(),
      raw: () => raw(['ZPOPMIN', 'raw-timed-queue'], ['PEXPIRE', 'raw-timed-queue', ms]),
      judged: false,
    },
  ];
  return {
    pairs,
    async close() {
      await cache.clear();
      await cache.close();
      client.destroy();
    },
  };
}

async function measureRedis(quick: boolean): Promise<StructureBenchRow[]> {
  const { answersPing, RedisServer } = await import('../test/support/redis-server');
  let port = 7190;
  while (port < 7199 && (await answersPing(port))) port++;
  const server = await RedisServer.start(port);
  const rows: StructureBenchRow[] = [];
  try {
    const { pairs, close } = await redisPairs(server.url, quick);
    try {
      // Quick mode still takes enough batches for a round trip of ~20 µs to have a stable median.
      const timing = quick ? { ...QUICK_TIMING, batchMs: 5, batches: 9 } : FULL_TIMING;
      for (const pair of pairs) {
        // Connections, the script cache and the JIT settle before anything is timed.
        for (let i = 0; i < (quick ? 50 : 300); i++) await Promise.all([pair.memoir(i), pair.raw(i)]);
        // A round trip each: the two take turns call by call.
        const [raw, memoir] = await timeAlternating([pair.raw, pair.memoir], timing);
        rows.push({ backend: 'redis', op: pair.op, library: '(floor) raw command, same client', ns: raw.medianNs });
        rows.push({ backend: 'redis', op: pair.op, library: 'memoir', ns: memoir.medianNs, vsRaw: memoir.medianNs / raw.medianNs });
        judged.set(pair.op, pair.judged);
      }
    } finally {
      await close();
    }
  } finally {
    await server.stop();
  }
  return rows;
}

/** Which Redis rows the verdict covers. */
const judged = new Map<string, boolean>();

/** add and pop on sets of `size` members: native on memory, one stored value elsewhere. */
async function measureLayout(label: string, cache: KeyValueCache, size: number, quick: boolean): Promise<StructureBenchRow[]> {
  abstract class Bound extends SortedSetCache<string> {
    static override cache = cache;
  }
  class Queue extends Bound {}
  const members = Array.from({ length: size }, (_, i): [number, string] => [i, `member-${i}`]);
  const timing = quick ? { warmupMs: 20, batchMs: 5, batches: 3 } : { warmupMs: 100, batchMs: 15, batches: 7 };
  const rows: StructureBenchRow[] = [];
  const add = async (i: number) => new Queue('add').add(i % size, `member-${i % size}`);
  await new Queue('add', { data: members }).ready();
  const [added] = await timeInterleaved([{ sync: false, call: add }], timing);
  rows.push({ backend: label, op: `SortedSetCache.add, ${size.toLocaleString('en')} members`, library: 'memoir', ns: added.medianNs });
  // Pops on a set refilled before each batch runs dry: a pop always finds the set at about its size.
  const queue = new Queue('pop', { data: members });
  await queue.ready();
  let left = size;
  const pop = async () => {
    if (--left < size / 2) {
      await new Queue('pop', { data: members }).ready();
      left = size;
    }
    return queue.pop();
  };
  const [popped] = await timeInterleaved([{ sync: false, call: pop }], timing);
  rows.push({ backend: label, op: `SortedSetCache.pop, ${size.toLocaleString('en')} members`, library: 'memoir', ns: popped.medianNs });
  return rows;
}

export async function runStructuresBenchmark(options: { quick?: boolean; layouts?: boolean } = {}): Promise<StructureBenchRow[]> {
  const quick = options.quick ?? process.env.BENCH_QUICK === '1';
  const rows = await measureRedis(quick);
  if (options.layouts === false) return rows;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-bench-structures-'));
  try {
    const sizes = quick ? [100] : [100, 1_000];
    for (const size of sizes) {
      const layouts: Array<[string, KeyValueCache]> = [
        ['memory (native)', createCache({ backend: 'memory', namespace: `bench-layout-${size}` })],
        ['file (one value)', createCache({ backend: 'file', cacheDir: dir, namespace: `layout-${size}` })],
        ['sqlite (one value)', createCache({ backend: 'sql', sql: `sqlite://${path.join(dir, 'bench.db')}`, namespace: `layout-${size}` })],
      ];
      for (const [label, cache] of layouts) {
        rows.push(...(await measureLayout(label, cache, size, quick)));
        await cache.close();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export function formatRows(rows: StructureBenchRow[]): string {
  return table(
    ['backend', 'operation', 'library', 'median/op', 'vs raw'],
    rows.map((row) => [row.backend, row.op, row.library, formatNs(row.ns), row.vsRaw === undefined ? '' : formatRatio(row.vsRaw)]),
    ['left', 'left', 'left', 'right', 'right'],
  );
}

/** Issue 17's target: each structure's main operation on Redis within 1.2x the raw command through the same client. */
export function structuresVerdicts(rows: StructureBenchRow[]): Verdict[] {
  return rows
    .filter((row) => row.backend === 'redis' && row.vsRaw !== undefined && judged.get(row.op) !== false)
    .map((row) => ({
      target: `Redis ${row.op} <= 1.2x the raw command, same client`,
      measured: `${formatNs(row.ns)} (${formatRatio(row.vsRaw!)})`,
      pass: row.vsRaw! <= 1.2,
    }));
}

if (require.main === module) {
  runStructuresBenchmark().then((rows) => {
    console.log(formatRows(rows));
    console.log(table(['target', 'memoir', 'verdict'], structuresVerdicts(rows).map((v) => [v.target, v.measured, v.pass ? 'PASS' : 'MISS'])));
    process.exit(0);
  });
}
