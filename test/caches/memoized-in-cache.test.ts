import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CacheManager, type CachedOptions, cached, caches, createCache, type KeyValueCache, type MemoirEvent, multiCached } from 'memoir';
import { memoNamespace } from '../../lib/caches';
import { manualClock } from '../support/engine-helpers';
import { REDIS_URL } from '../support/redis-fixtures';

/**
 * `cached` and `multiCached` with a key-value cache, or the name of a cache alias, as
 * `backend`: entries live in that cache's backend with the engine's semantics (freshness,
 * single-flight, precacheValue, clearCache of this function only). The core contract of these
 * entries is test/caches/memo-core.test.ts; the cross-process single-flight is in
 * test/caches/cross-process.test.ts.
 */
const run = `${process.pid}-${Date.now().toString(36)}`;
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-memo-in-cache-'));
let names = 0;
const fresh = (extra: CachedOptions = {}): CachedOptions => ({ name: `in-cache-${run}-${names++}`, manager: new CacheManager(), ...extra });
const opened: KeyValueCache[] = [];
const open = (options: Parameters<typeof createCache>[0]) => {
  const cache = createCache(options);
  opened.push(cache);
  return cache;
};

afterEach(() => caches.setConfig({}));
afterAll(async () => {
  await caches.close();
  for (const cache of opened) await cache.close();
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

describe('an alias as backend', () => {
  it('stores entries in the alias’s cache, in a namespace of the function’s own, with hits, misses and clearCache', async () => {
    caches.setConfig({ sessions: { backend: 'memory', namespace: `sess-${run}` } });
    let runs = 0;
    const options = fresh({ backend: 'sessions' });
    const square = cached((n: number) => {
      runs++;
      return n * n;
    }, options);
    // A sync function answers with a Promise: a key-value cache may be a server.
    const first = square(3);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toBe(9);
    expect(await square(3)).toBe(9);
    expect(runs).toBe(1);
    expect(square.stats()).toMatchObject({ hits: 1, misses: 1 });

    // The entry is a record in the alias's backend, under the function's namespace.
    const kv = caches.get('sessions');
    const beside = open({ backend: 'memory', namespace: memoNamespace(kv.namespace, options.name!) });
    expect(await beside.exists(square.keyFor(3))).toBe(true);

    // The cache's own keys and clear() and the function's entries do not meet.
    await kv.set('own', 'kept');
    await kv.clear();
    expect(await square.isCached(3)).toBe(true);
    await kv.set('own', 'kept');
    const other = cached(async (n: number) => -n, fresh({ backend: 'sessions' }));
    await other(1);
    await square.clearCache();
    expect(await square.isCached(3)).toBe(false);
    expect(await other.isCached(1)).toBe(true);
    expect(await kv.get('own')).toBe('kept');
    expect(await square(3)).toBe(9);
    expect(runs).toBe(2);
  });

  it('applies staleAfter, precacheValue, peek and invalidate as on any backend', async () => {
    caches.setConfig({ sessions: { backend: 'memory', namespace: `sess-${run}` } });
    const clock = manualClock();
    let runs = 0;
    const load = cached(async (id: string) => `${id}#${++runs}`, fresh({ backend: 'sessions', staleAfter: '1m', clock: clock.now }));
    expect(await load('a')).toBe('a#1');
    clock.advance(59_000);
    expect(await load('a')).toBe('a#1');
    clock.advance(2_000);
    expect(await load('a')).toBe('a#2');
    await load.precacheValue(['b'], 'given');
    expect(await load.peek('b')).toBe('given');
    expect(await load('b')).toBe('given');
    await load.invalidate('a');
    expect(await load.peek('a')).toBeUndefined();
    expect(await load('a')).toBe('a#3');
  });

  it('runs the function once for concurrent callers of one key', async () => {
    caches.setConfig({ sessions: { backend: 'file', cacheDir, namespace: `sess-${run}` } });
    let runs = 0;
    const slow = cached(async (n: number) => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return n + 1;
    }, fresh({ backend: 'sessions' }));
    expect(await Promise.all(Array.from({ length: 10 }, () => slow(1)))).toEqual(Array(10).fill(2));
    expect(runs).toBe(1);
  });

  it('an unknown alias fails at decoration, naming the option and the known aliases', () => {
    caches.setConfig({ sessions: { backend: 'memory' } });
    expect(() => cached(async () => 1, fresh({ backend: 'sesions' }))).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringMatching(/option "backend".*"sesions".*default, sessions/) }),
    );
  });

  it('follows caches.setConfig: after the alias names another cache, entries go there', async () => {
    caches.setConfig({ moving: { backend: 'memory', namespace: `first-${run}` } });
    let runs = 0;
    const options = fresh({ backend: 'moving' });
    const fn = cached(async (n: number) => n * 10 + ++runs, options);
    expect(await fn(1)).toBe(11);
    caches.setConfig({ moving: { backend: 'file', cacheDir, namespace: `second-${run}` } });
    expect(await fn(1)).toBe(12); // a new cache: a miss
    const onDisk = open({ backend: 'file', cacheDir, namespace: memoNamespace(`second-${run}`, options.name!) });
    expect(await onDisk.exists(fn.keyFor(1))).toBe(true);
  });
});

describe('a key-value cache as backend', () => {
  it('stores entries beside the cache’s keys on disk, and a second process-local instance reads them', async () => {
    const kv = open({ backend: 'file', cacheDir, namespace: `kv-${run}` });
    let runs = 0;
    const options = fresh({ backend: kv });
    const fn = cached(async (id: string) => ({ id, n: ++runs, at: new Date(0) }), options);
    expect(await fn('x')).toEqual({ id: 'x', n: 1, at: new Date(0) });
    const again = cached(async (id: string) => ({ id, n: ++runs, at: new Date(0) }), { ...options, backend: open({ backend: 'file', cacheDir, namespace: `kv-${run}` }) });
    expect(await again('x')).toEqual({ id: 'x', n: 1, at: new Date(0) }); // v8, the file cache's serializer
    expect(runs).toBe(1);
  });

  it('refuses a key-value cache memoir did not build, naming the option', async () => {
    const handmade = { ...open({ backend: 'memory' }) } as unknown as KeyValueCache;
    const methods = ['get', 'set', 'add', 'multiGet', 'getOrSet', 'lock', 'optimisticLock', 'clear', 'close'] as const;
    for (const method of methods) (handmade as unknown as Record<string, unknown>)[method] = () => undefined;
    const fn = cached(async () => 1, fresh({ backend: handmade }));
    expect(() => fn()).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringMatching(/option "backend"/) }));
  });

  it('multiCached on a Redis cache: per-id entries, only missing ids loaded, in one call', async () => {
    const kv = open({ backend: 'redis', redis: REDIS_URL, namespace: `multi-${run}` });
    const calls: string[][] = [];
    const getUsers = multiCached(
      async (ids: string[]) => {
        calls.push(ids);
        return new Map(ids.map((id) => [id, { id }]));
      },
      { keysFrom: 0, ...fresh({ backend: kv }) },
    );
    expect(await getUsers(['a', 'b'])).toEqual(new Map([['a', { id: 'a' }], ['b', { id: 'b' }]]));
    expect(await getUsers(['a', 'c'])).toEqual(new Map([['a', { id: 'a' }], ['c', { id: 'c' }]]));
    expect(calls).toEqual([['a', 'b'], ['c']]);
    await getUsers.clearCache();
  });

  it('a corrupt record is reported once and recomputed over', async () => {
    const kv = open({ backend: 'redis', redis: REDIS_URL, namespace: `corrupt-${run}` });
    const events: MemoirEvent[] = [];
    let runs = 0;
    const options = fresh({ backend: kv, onEvent: (event) => events.push(event) });
    const fn = cached(async (n: number) => n + ++runs, options);
    await fn(1);
    const raw = open({ backend: 'redis', redis: REDIS_URL, namespace: memoNamespace(kv.namespace, options.name!) });
    await raw.set(fn.keyFor(1), 'written by someone else');
    expect(await fn(1)).toBe(3);
    expect(events.filter((event) => event.type === 'corrupt-entry')).toHaveLength(1);
    expect(await fn(1)).toBe(3);
    await fn.clearCache();
  });
});
