import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCache } from '../../lib/caches';
import type { KeyValueCache } from '../../lib/contract/cache';
import { KvWorker, startKvWorkers } from '../support/kv-workers';
import { spawnStandin } from '../support/mongo-standin';
import { REDIS_URL } from '../support/redis-fixtures';
import { ENGINES, SCRATCH, type ScratchDatabase } from '../support/sql-databases';
import { closeConnections } from '../../lib';

/**
 * The key-value guarantees that only real processes can prove: atomic add and increment,
 * getOrSet's one factory run, locks whose waiters block in other processes and survive a
 * SIGKILLed holder, and compare-and-set conflicts between processes, on the file, mongo
 * (stand-in), Redis and SQL (PostgreSQL, MariaDB, SQLite) caches. Every backend shares one pool of eight child processes; the
 * lease test adds a ninth to kill.
 */
jest.setTimeout(90_000);

const WORKERS = 8;
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-kv-cross-'));
let workers: KvWorker[] = [];
/** The next lease test's victim, started while earlier tests run: a child takes a second or two to boot. */
let spare: KvWorker;
let standin: { uri: string; stop(): Promise<void> };

const databases = new Map<string, ScratchDatabase>();

function startSpare(): KvWorker {
  const worker = KvWorker.start();
  worker.ready.catch(() => undefined); // killed before it booted: nobody waits for it
  return worker;
}

beforeAll(async () => {
  spare = startSpare();
  const scratch = ENGINES.map(async (engine) => databases.set(engine, await SCRATCH[engine]('kv_cross')));
  [workers, standin] = await Promise.all([startKvWorkers(WORKERS), spawnStandin(), ...scratch]);
});

afterAll(async () => {
  await Promise.all([...workers, spare].map((worker) => worker.kill('SIGTERM')));
  await standin?.stop();
  await closeConnections();
  for (const database of databases.values()) await database.drop();
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

const backends: Array<[string, () => Record<string, unknown>]> = [
  ['file', () => ({ backend: 'file', cacheDir })],
  ['mongo (stand-in)', () => ({ backend: 'mongo', mongetter: { uri: standin.uri, db: 'memoir_kv_cross', collection: 'kv' } })],
  ['redis', () => ({ backend: 'redis', redis: REDIS_URL })],
  ...ENGINES.map((engine): [string, () => Record<string, unknown>] => [`sql (${engine})`, () => ({ backend: 'sql', sql: databases.get(engine)!.url })]),
];

describe.each(backends)('%s across processes', (_label, backendOptions) => {
  let options: Record<string, unknown>;
  let cache: KeyValueCache;

  beforeAll(async () => {
    options = { ...backendOptions(), namespace: `cross-${process.pid}-${Date.now().toString(36)}` };
    cache = createCache(options as never);
    await Promise.all(workers.map((worker) => worker.request('open', { options })));
  });

  afterAll(async () => {
    await cache.clear();
    await cache.close();
  });

  it('8 processes add the same key: exactly one succeeds, the others get KEY_EXISTS', async () => {
    const outcomes = await Promise.all(workers.map((worker, i) => worker.request('add', { key: 'once', value: `worker ${i}` })));
    const winners = outcomes.filter((outcome) => outcome === true);
    expect(winners).toHaveLength(1);
    expect(outcomes.filter((outcome) => (outcome as { error?: string }).error === 'KEY_EXISTS')).toHaveLength(WORKERS - 1);
    expect(await cache.get('once')).toBe(`worker ${outcomes.indexOf(true)}`);
  });

  it('8 processes × 1,000 increments: 8,000, and every increment saw a different value', async () => {
    const seen = await Promise.all(workers.map((worker) => worker.request<number[]>('incrementMany', { key: 'counter', count: 1_000 })));
    expect(await cache.get('counter')).toBe(8_000);
    const all = seen.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 8_000 }, (_, i) => i + 1));
  });

  it('getOrSet from 8 processes runs the factory once; all get its value', async () => {
    const key = `report of ${options.namespace}`;
    const values = await Promise.all(workers.map((worker) => worker.request('getOrSet', { key, ms: 300 })));
    const runs = workers.flatMap((worker) => worker.started.filter((started) => started === key));
    expect(runs).toHaveLength(1);
    expect(new Set(values).size).toBe(1);
    expect(await cache.get(key)).toBe(values[0]);
  });

  it('a function memoized in this cache runs once for 8 processes calling one key at once', async () => {
    const name = `memo-${options.namespace}`;
    await Promise.all(workers.map((worker) => worker.request('openMemo', { key: name })));
    const values = await Promise.all(workers.map((worker) => worker.request('memoCall', { value: 'k', ms: 300 })));
    const runs = workers.flatMap((worker) => worker.started.filter((started) => started === `memo:${name}:k`));
    expect(runs).toHaveLength(1);
    expect(new Set(values).size).toBe(1);
  });

  it('a waiter in another process blocks until the holder releases', async () => {
    const [holder, waiter] = workers;
    await holder.request('lock', { key: 'job' });
    const waited = waiter.request<{ at: number }>('lock', { key: 'job' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { released, startedAt, at: releasedAt } = await holder.request<{ released: boolean; startedAt: number; at: number }>('release', { key: 'job' });
    expect(released).toBe(true);
    const { at: acquiredAt } = await waited;
    expect(acquiredAt).toBeGreaterThanOrEqual(startedAt);
    // Woken by the release's signal (pub/sub, NOTIFY, a file watch) or a poll at most 50 ms
    // apart: within a poll and a round trip, with room for a loaded machine.
    expect(acquiredAt - releasedAt).toBeLessThan(1_000);
    expect(await waiter.request('release', { key: 'job' })).toMatchObject({ released: true });
  });

  it('a lock held by a SIGKILLed holder goes to a waiter in another process once its lease runs out', async () => {
    const victim = spare;
    spare = startSpare();
    await victim.ready;
    await victim.request('open', { options });
    const lease = 1_000;
    await victim.request('lock', { key: 'crash', lease });
    const waiter = workers[2];
    const waited = waiter.request<{ at: number }>('lock', { key: 'crash', lease });
    await new Promise((resolve) => setTimeout(resolve, lease)); // the victim renews meanwhile
    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    const { at: acquiredAt } = await waited;
    // Renewed every lease/3 until the kill, the lock outlives the victim by 2/3 to 1 lease (less
    // the error of a server-clock estimate, within half a round trip, on a loaded machine). A
    // waiter that took a live lock would have it within a poll of the kill.
    expect(acquiredAt - killedAt).toBeGreaterThanOrEqual((lease * 2) / 3 - 100);
    expect(acquiredAt - killedAt).toBeLessThan(lease + 2_000);
    expect(await waiter.request('release', { key: 'crash' })).toMatchObject({ released: true });
  });

  it('optimisticLock: of two processes that read the same version, the second cas gets LOCK_CONFLICT', async () => {
    const [first, second] = workers;
    await cache.set('doc', 'v1');
    expect(await first.request('read', { key: 'doc' })).toBe('v1');
    expect(await second.request('read', { key: 'doc' })).toBe('v1');
    expect(await second.request('cas', { key: 'doc', value: 'second' })).toBe(true);
    expect(await first.request('cas', { key: 'doc', value: 'first' })).toEqual({ error: 'LOCK_CONFLICT' });
    expect(await cache.get('doc')).toBe('second');
  });
});

describe('file across processes, while compactions replace the file', () => {
  it('8 processes × 150 contended compare-and-sets of 20 KB values on one key: 1,200, each count stored once', async () => {
    // Every third frame or so makes the shard worth compacting, so writers keep meeting seals
    // and waiting for replacements, and each cas learns its outcome right after its frame
    // (backends/file/append.ts). A waiter that took a newer file given the sealed file's inode
    // number for an orphan put the sealed records back over it: counts stored twice, a total
    // short. That is checked deterministically in test/backends/file/core.test.ts; this run
    // is the guarantee end to end, and timing-dependent (a script of the same shape calling the
    // store directly caught that bug in about 1 run of 3; this form did not in 6).
    const options = { backend: 'file', cacheDir, namespace: `cas-${process.pid}-${Date.now().toString(36)}` };
    await Promise.all(workers.map((worker) => worker.request('open', { options })));
    const stored = await Promise.all(workers.map((worker) => worker.request<number[]>('casMany', { key: 'counter', count: 150, size: 20_000 })));
    const counts = stored.flat().sort((a, b) => a - b);
    expect(counts).toEqual(Array.from({ length: WORKERS * 150 }, (_, i) => i + 1));
    const cache = createCache(options as never);
    expect(((await cache.get('counter')) as { count: number }).count).toBe(WORKERS * 150);
    await cache.close();
  });
});
