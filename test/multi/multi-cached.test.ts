import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Collection, MongoClient } from 'mongodb';
import { type CachedOptions, CacheManager, multiCached } from 'memoir';
import { startStandin, type Standin } from '../support/mongo-standin';

/** A loader that records which ids reached it, answering a Map (or a record) by id. */
function loader(shape: 'map' | 'record' = 'map', delayMs = 0) {
  const calls: string[][] = [];
  const fn = async (ids: string[], suffix = ''): Promise<Map<string, string> | Record<string, string>> => {
    calls.push([...ids]);
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const pairs = ids.filter((id) => !id.startsWith('missing')).map((id) => [id, `user ${id}${suffix}`] as const);
    return shape === 'map' ? new Map(pairs) : Object.fromEntries(pairs);
  };
  return { calls, fn };
}

let names = 0;
const fresh = (extra: CachedOptions = {}): CachedOptions => ({ backend: 'memory', name: `multi-${process.pid}-${names++}`, manager: new CacheManager(), ...extra });

describe('multiCached', () => {
  it('loads only the missing ids, in one call, and answers in the function’s shape (Map)', async () => {
    const { calls, fn } = loader('map');
    const getUsers = multiCached(fn, { keysFrom: 0, ...fresh() });
    expect(await getUsers(['a', 'b'])).toEqual(new Map([['a', 'user a'], ['b', 'user b']]));
    expect(await getUsers(['a', 'c'])).toEqual(new Map([['a', 'user a'], ['c', 'user c']]));
    expect(calls).toEqual([['a', 'b'], ['c']]);
    expect(await getUsers(['c', 'b', 'a'])).toEqual(new Map([['c', 'user c'], ['b', 'user b'], ['a', 'user a']]));
    expect(calls).toHaveLength(2);
    expect(getUsers.stats()).toMatchObject({ hits: 4, misses: 3, recalculations: 3 });
  });

  it('keeps a record shape, and loads a repeated id once', async () => {
    const { calls, fn } = loader('record');
    const getUsers = multiCached(fn, { keysFrom: 0, ...fresh() });
    expect(await getUsers(['a', 'a', 'b'])).toEqual({ a: 'user a', b: 'user b' });
    expect(await getUsers(['b'])).toEqual({ b: 'user b' });
    expect(calls).toEqual([['a', 'b']]);
  });

  it('makes the other arguments part of each id’s key', async () => {
    const { calls, fn } = loader('map');
    const getUsers = multiCached(fn, { keysFrom: 0, ...fresh() });
    await getUsers(['a'], ' (EUR)');
    expect(await getUsers(['a'], ' (USD)')).toEqual(new Map([['a', 'user a (USD)']]));
    await getUsers(['a'], ' (EUR)');
    expect(calls).toEqual([['a'], ['a']]);
  });

  it('finds the ids in a property of an options argument (keysFrom: name)', async () => {
    const calls: Array<{ ids: number[]; currency: string }> = [];
    const prices = multiCached(
      async (options: { ids: number[]; currency: string }) => {
        calls.push(options);
        return Object.fromEntries(options.ids.map((id) => [id, `${id * 10} ${options.currency}`]));
      },
      { keysFrom: 'ids', ...fresh() },
    );
    expect(await prices({ ids: [1, 2], currency: 'EUR' })).toEqual({ 1: '10 EUR', 2: '20 EUR' });
    expect(await prices({ ids: [2, 3], currency: 'EUR' })).toEqual({ 2: '20 EUR', 3: '30 EUR' });
    expect(calls).toEqual([{ ids: [1, 2], currency: 'EUR' }, { ids: [3], currency: 'EUR' }]);
  });

  it('waits for ids another call of this process is loading instead of loading them twice', async () => {
    const { calls, fn } = loader('map', 50);
    const getUsers = multiCached(fn, { keysFrom: 0, ...fresh() });
    const [first, second] = await Promise.all([getUsers(['a', 'b']), getUsers(['b', 'c'])]);
    expect(first).toEqual(new Map([['a', 'user a'], ['b', 'user b']]));
    expect(second).toEqual(new Map([['b', 'user b'], ['c', 'user c']]));
    expect(calls).toEqual([['a', 'b'], ['c']]);
  });

  it('does not cache an id the function does not return, unless allowNone', async () => {
    const { calls, fn } = loader('map');
    const strict = multiCached(fn, { keysFrom: 0, ...fresh() });
    expect(await strict(['a', 'missing-x'])).toEqual(new Map([['a', 'user a']]));
    await strict(['a', 'missing-x']);
    expect(calls).toEqual([['a', 'missing-x'], ['missing-x']]);

    const lenient = loader('map');
    const allowing = multiCached(lenient.fn, { keysFrom: 0, ...fresh({ allowNone: true }) });
    await allowing(['missing-y']);
    expect(await allowing(['missing-y'])).toEqual(new Map());
    expect(lenient.calls).toEqual([['missing-y']]);
  });

  it('never caches an error; callers sharing the load get the same error', async () => {
    let fail = true;
    const fn = async (ids: string[]) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (fail) throw new Error('database down');
      return new Map(ids.map((id) => [id, id.toUpperCase()]));
    };
    const load = multiCached(fn, { keysFrom: 0, ...fresh() });
    const results = await Promise.allSettled([load(['a']), load(['a', 'b'])]);
    expect(results.map((result) => (result as PromiseRejectedResult).reason?.message)).toEqual(['database down', 'database down']);
    fail = false;
    expect(await load(['a', 'b'])).toEqual(new Map([['a', 'A'], ['b', 'B']]));
  });

  it('reloads ids whose entries went stale', async () => {
    let now = 1_000_000;
    const { calls, fn } = loader('map');
    const load = multiCached(fn, { keysFrom: 0, ...fresh({ staleAfter: 1_000, clock: () => now }) });
    await load(['a']);
    now += 500;
    await load(['a', 'b']);
    now += 600;
    await load(['a', 'b']);
    expect(calls).toEqual([['a'], ['b'], ['a']]);
  });

  it('management methods work per id', async () => {
    const { calls, fn } = loader('map');
    const load = multiCached(fn, { keysFrom: 0, ...fresh() });
    await load(['a', 'b']);
    expect(await load.isCached(['a', 'b'])).toBe(true);
    expect(await load.isCached(['a', 'z'])).toBe(false);
    expect(await load.peek(['a', 'z'])).toEqual(new Map([['a', 'user a']]));
    const keys = load.keyFor(['a', 'b']);
    expect(keys).toHaveLength(2);
    expect(keys[0]).not.toBe(keys[1]);
    await load.invalidate(['a']);
    expect(await load.isCached(['a'])).toBe(false);
    await load.precacheValue([['p']], new Map([['p', 'precached p']]));
    expect(await load(['a', 'b', 'p'])).toEqual(new Map([['a', 'user a'], ['b', 'user b'], ['p', 'precached p']]));
    expect(calls).toEqual([['a', 'b'], ['a']]);
    await load.clearCache();
    expect(await load.isCached(['b'])).toBe(false);
    expect(await load.with({ skipCache: true })(['b'])).toEqual(new Map([['b', 'user b']]));
    expect(await load.isCached(['b'])).toBe(false);
    await load.with({ overwriteCache: true })(['b']);
    expect(calls.at(-1)).toEqual(['b']);
  });

  it('is invalidated through the manager like any cache', async () => {
    const manager = new CacheManager();
    const { calls, fn } = loader('map');
    const load = multiCached(fn, { keysFrom: 0, ...fresh({ manager }) });
    await load(['a']);
    await manager.invalidate(load.cacheName);
    await load(['a']);
    expect(calls).toEqual([['a'], ['a']]);
  });

  it('refuses a keysFrom that does not point at the ids', async () => {
    const { fn } = loader('map');
    expect(() => multiCached(fn, { keysFrom: -1 as never, ...fresh() })).toThrow(/keysFrom/);
    const wrong = multiCached(fn, { keysFrom: 1 as never, ...fresh() });
    await expect(wrong(['a'], 'x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('multiCached on persistent backends', () => {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-multi-'));
  let standin: Standin;
  let client: MongoClient;
  let collection: Collection;

  beforeAll(async () => {
    standin = await startStandin();
    client = new MongoClient(standin.uri);
    collection = client.db('memoir_multi').collection('entries');
  });

  afterAll(async () => {
    await client.close();
    await standin.stop();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  const backends: Array<[string, () => CachedOptions]> = [
    ['file', () => ({ backend: 'file', cacheDir })],
    ['mongo', () => ({ backend: 'mongo', mongetter: () => collection as never })],
  ];

  it.each(backends)('%s: entries persist per id, and a process that only hits still answers in the right shape', async (_label, backend) => {
    const name = `persisted-${names++}`;
    const first = loader('map');
    const writer = multiCached(first.fn, { keysFrom: 0, ...fresh({ ...backend(), name }) });
    await writer(['a', 'b']);
    // A second function of the same name stands for another process: nothing in memory.
    const second = loader('record');
    const reader = multiCached(second.fn, { keysFrom: 0, ...fresh({ ...backend(), name }) });
    expect(await reader(['b', 'a'])).toEqual(new Map([['b', 'user b'], ['a', 'user a']]));
    expect(second.calls).toEqual([]);
    expect(await reader(['a', 'c'])).toEqual(new Map([['a', 'user a'], ['c', 'user c']]));
    expect(second.calls).toEqual([['c']]);
  });
});
