import { cached, disableCaching, enableCaching } from '../../lib';
import { tempDirs } from '../support/file-temp-dirs';
import { uniqueName } from '../support/engine-helpers';

/**
 * A hit answers the way the function answered when its value was computed: a function that
 * returned a Promise gets a Promise from the cache, also in an engine (a process) where it
 * never ran. Each `cached()` below is a fresh engine, as a second run of a script would be.
 */
const dirs = tempDirs();
afterAll(() => dirs.removeAll());

describe.each([
  ['file', () => ({ backend: 'file' as const, cacheDir: dirs.make() })],
  ['file (separate files)', () => ({ backend: 'file' as const, cacheDir: dirs.make(), separateFiles: true })],
  ['memory', () => ({ backend: 'memory' as const })],
])('on %s', (_label, backend) => {
  test('a promise-returning (non-async) function answers a hit from storage with a Promise', async () => {
    const options = { ...backend(), name: uniqueName('fetch-it') };
    const first = cached(function fetchIt(id: number) {
      return Promise.resolve({ id });
    }, options);
    await first(1);

    let runs = 0;
    const again = cached(function fetchIt(id: number) {
      runs++;
      return Promise.resolve({ id });
    }, options);
    const answer = again(1);
    expect(answer).toBeInstanceOf(Promise);
    await expect(answer).resolves.toEqual({ id: 1 });
    expect(runs).toBe(0);
  });

  test('a sync function still answers synchronously', () => {
    const options = { ...backend(), name: uniqueName('sync') };
    cached((x: number) => x * 2, options)(2);
    expect(cached((x: number) => x * 2, options)(2)).toBe(4);
  });

  test('the async option overrides what the entry says', async () => {
    const options = { ...backend(), name: uniqueName('override') };
    await cached((x: number) => Promise.resolve(x), options)(3);
    expect(cached((x: number) => Promise.resolve(x), { ...options, async: false })(3)).toBe(3);
  });

  test('precacheValue of a function known to be async stores a promised entry', async () => {
    const options = { ...backend(), name: uniqueName('precached') };
    await cached(async (x: number) => x, options).precacheValue([5], 50);
    const later = cached(function later(x: number) {
      return Promise.resolve(x);
    }, options)(5);
    await expect(later).resolves.toBe(50);
  });
});

/**
 * A call's form does not depend on the path it takes: where a cached call answers with a
 * Promise (a core without synchronous reads, or `async: true`), so do a skipped call, a call
 * while caching is disabled, and a call with arguments that cannot be keyed.
 */
describe.each([
  ['sql (sqlite::memory:), a sync function', { backend: 'sql' as const, sql: 'sqlite::memory:' }],
  ['memory with async: true, a sync function', { backend: 'memory' as const, async: true }],
])('on %s', (_label, backend) => {
  afterEach(() => enableCaching());

  test('skipCache, disabled caching and an unhashable argument answer with a Promise, as every other call', async () => {
    const f = cached((x: unknown) => `${typeof x}`, { ...backend, name: uniqueName('form') });
    const skipped = f.with({ skipCache: true })(1);
    expect(skipped).toBeInstanceOf(Promise);
    await expect(skipped).resolves.toBe('number');
    disableCaching();
    const disabled = f(2);
    expect(disabled).toBeInstanceOf(Promise);
    await expect(disabled).resolves.toBe('number');
    enableCaching();
    const unhashable = f(() => 1);
    expect(unhashable).toBeInstanceOf(Promise);
    await expect(unhashable).rejects.toMatchObject({ code: 'UNHASHABLE_ARGUMENT' });
    const thrown = cached(
      (): number => {
        throw new Error('body failed');
      },
      { ...backend, name: uniqueName('throws') },
    ).with({ skipCache: true })();
    expect(thrown).toBeInstanceOf(Promise);
    await expect(thrown).rejects.toThrow('body failed');
  });
});
