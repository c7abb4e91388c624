import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeConnections, createCache, type KeyValueCache, SortedSetCache } from '../../lib';
import { type KvWorker, startKvWorkers } from '../support/kv-workers';
import { REDIS_URL } from '../support/redis-fixtures';
import { spawnStandin } from '../support/mongo-standin';
import { ENGINES, SCRATCH, type ScratchDatabase } from '../support/sql-databases';

/**
 * What only real processes prove about the structures: ValueCache.increment, SentinelCache.claim
 * and SortedSetCache.pop are atomic across processes. Eight child processes on Redis (native:
 * INCRBY, SET NX, ZPOPMIN), and on every backend where the structures are built on the
 * key-value commands (increment; add; one stored value changed by compare-and-set): file, the
 * mongo stand-in, PostgreSQL, MariaDB and SQLite.
 */
jest.setTimeout(90_000);

const WORKERS = 8;
const MEMBERS = 1_000;
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-structures-cross-'));
let workers: KvWorker[] = [];
let standin: { uri: string; stop(): Promise<void> };
const databases = new Map<string, ScratchDatabase>();

beforeAll(async () => {
  const scratch = ENGINES.map(async (engine) => databases.set(engine, await SCRATCH[engine]('structures_cross')));
  [workers, standin] = await Promise.all([startKvWorkers(WORKERS), spawnStandin(), ...scratch]);
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.kill('SIGTERM')));
  await standin?.stop();
  await closeConnections();
  for (const database of databases.values()) await database.drop();
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

const backends: Array<[string, () => Record<string, unknown>]> = [
  ['redis', () => ({ backend: 'redis', redis: REDIS_URL })],
  ['file', () => ({ backend: 'file', cacheDir })],
  ['mongo (stand-in)', () => ({ backend: 'mongo', mongetter: { uri: standin.uri, db: 'memoir_structures_cross', collection: 'kv' } })],
  ...ENGINES.map((engine): [string, () => Record<string, unknown>] => [`sql (${engine})`, () => ({ backend: 'sql', sql: databases.get(engine)!.url })]),
];

describe.each(backends)('structures on %s across 8 processes', (_label, backendOptions) => {
  let cache: KeyValueCache;

  beforeAll(async () => {
    const options = { ...backendOptions(), namespace: `structures-cross-${process.pid}-${Date.now().toString(36)}` };
    cache = createCache(options as never);
    await Promise.all(workers.map((worker) => worker.request('open', { options })));
  });

  afterAll(async () => {
    await cache.clear();
    await cache.close();
  });

  it('8 × 1,000 ValueCache increments (with a ttl): 8,000, every value returned once', async () => {
    const seen = await Promise.all(workers.map((worker) => worker.request<number[]>('valueIncrementMany', { key: 'counter', count: 1_000 })));
    expect(await cache.get('counter')).toBe(8_000);
    expect(seen.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 8_000 }, (_, i) => i + 1));
  });

  it('8 processes claim one SentinelCache: exactly one gets true', async () => {
    const outcomes = await Promise.all(workers.map((worker) => worker.request('claim', { key: 'daily-report' })));
    expect(outcomes.filter((outcome) => outcome === true)).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === false)).toHaveLength(WORKERS - 1);
  });

  it('8 processes pop a 1,000-member SortedSetCache empty: every member popped exactly once', async () => {
    class Queue extends SortedSetCache<string> {
      static override cache = cache;
    }
    const members = Array.from({ length: MEMBERS }, (_, i) => `job-${String(i).padStart(4, '0')}`);
    await new Queue('queue', { data: members.map((member, i) => [i, member] as [number, string]) }).ready();
    const popped = await Promise.all(workers.map((worker) => worker.request<string[]>('popAll', { key: 'queue' })));
    expect(popped.flat().sort()).toEqual(members);
    // Each process pops in score order, so its own sequence ascends.
    for (const sequence of popped) expect([...sequence].sort()).toEqual(sequence);
    expect(await new Queue('queue').size()).toBe(0);
    // Every process got a share: the pops really raced.
    expect(popped.filter((sequence) => sequence.length > 0).length).toBeGreaterThan(1);
  });
});
