import { disableCaching, enableCaching, MemoryCache, ValueCache } from '../../lib';

/**
 * ValueCache.cached(fn, { key }) and @ValueCache.cached({ key }): results stored in the
 * ValueCache of the key's parts (so the class's prefix, ttl, serialize and cache apply), one
 * computation per key however many callers, errors and empty results never stored, and the
 * management methods of API.md section 2 that apply. On a memory cache with a fake clock.
 */
let now = 1_700_000_000_000;
let cache: MemoryCache;
let namespaces = 0;

beforeEach(() => {
  now = 1_700_000_000_000;
  cache = new MemoryCache({ namespace: `cached-${namespaces++}`, clock: () => now });
});

afterEach(() => cache.close());

/** A ValueCache class on this test's cache. */
function onCache(extra: { prefix?: string; ttl?: string } = {}) {
  const current = cache;
  return class Sums extends ValueCache<number> {
    static override cache = current;
    static override prefix = extra.prefix;
    static override ttl = extra.ttl;
  };
}

function counted<A extends unknown[], R>(body: (...args: A) => R) {
  const calls: A[] = [];
  const fn = (...args: A): R => {
    calls.push(args);
    return body(...args);
  };
  return { fn, calls };
}

const add = (...xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('ValueCache.cached', () => {
  it("stores each result in the ValueCache of its key's parts, under the class's prefix and ttl", async () => {
    const Sums = onCache({ prefix: 'sum', ttl: '10s' });
    const { fn, calls } = counted(add);
    const sum = Sums.cached(fn, { key: (...xs) => xs });
    expect(await sum(1, 2)).toBe(3);
    expect(await sum(1, 2)).toBe(3);
    expect(await sum(1, 2, 3)).toBe(6);
    expect(calls).toEqual([
      [1, 2],
      [1, 2, 3],
    ]);
    expect(sum.keyFor(1, 2)).toBe('sum.1.2');
    expect(await new Sums([1, 2]).get()).toBe(3);
    expect(await cache.get('sum.1.2.3')).toBe(6);
    now += 10_001; // the class's ttl
    expect(await sum(1, 2)).toBe(3);
    expect(calls).toHaveLength(3);
    expect(sum.stats()).toMatchObject({ hits: 1, misses: 3, recalculations: 3 });
  });

  it('the memoized function is async even when fn is sync; errors and undefined are never stored, null only with allowNone', async () => {
    const Values = onCache();
    let outcome: () => unknown = () => {
      throw new Error('boom');
    };
    const { fn, calls } = counted((_id: string) => outcome());
    const get = Values.cached(fn, { key: (id) => ['get', id] });
    const first = get('a');
    expect(first).toBeInstanceOf(Promise);
    await expect(first).rejects.toThrow('boom');
    outcome = () => undefined;
    expect(await get('a')).toBeUndefined();
    outcome = () => null;
    expect(await get('a')).toBeNull();
    expect(await get('a')).toBeNull();
    expect(calls).toHaveLength(4);
    const keepsNull = Values.cached(fn, { key: (id) => ['null', id], allowNone: true });
    expect(await keepsNull('a')).toBeNull();
    expect(await keepsNull('a')).toBeNull();
    expect(calls).toHaveLength(5);
    expect(await get.with({ allowNone: true })('b')).toBeNull();
    expect(await get.isCached('b')).toBe(true);
  });

  it('concurrent calls of one key run the function once; two functions on the same keys share the result through the lock', async () => {
    const Values = onCache();
    let runs = 0;
    const slow = async (id: string) => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 30));
      return `${id}:${runs}`;
    };
    const load = Values.cached(slow, { key: (id) => ['load', id] });
    const other = Values.cached(slow, { key: (id) => ['load', id] }); // as another process would
    const results = await Promise.all([...Array.from({ length: 10 }, () => load('x')), other('x'), other('x')]);
    expect(runs).toBe(1);
    expect(new Set(results)).toEqual(new Set(['x:1']));
    expect(load.stats()).toMatchObject({ misses: 1, waits: 9 });
  });

  it('invalidate, peek, isCached, precacheValue, with({ skipCache | overwriteCache }), clearBeingCalculated', async () => {
    const Sums = onCache();
    const { fn, calls } = counted(add);
    const sum = Sums.cached(fn, { key: (...xs) => ['s', ...xs] });
    expect(await sum.peek(2, 2)).toBeUndefined();
    expect(await sum.isCached(2, 2)).toBe(false);
    expect(await sum.precacheValue([2, 2], 5)).toBe(5);
    expect(await sum(2, 2)).toBe(5);
    expect(await sum.peek(2, 2)).toBe(5);
    expect(await sum.with({ skipCache: true })(2, 2)).toBe(4);
    expect(await sum.peek(2, 2)).toBe(5);
    expect(await sum.with({ overwriteCache: true })(2, 2)).toBe(4);
    expect(await sum(2, 2)).toBe(4);
    await sum.invalidate(2, 2);
    expect(await sum.isCached(2, 2)).toBe(false);
    expect(calls).toHaveLength(2);
    await sum.clearBeingCalculated();
    expect(() => sum.with({ maxAge: 1 } as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it('runs the function every time while caching is disabled', async () => {
    const { fn, calls } = counted(add);
    const sum = onCache().cached(fn, { key: (...xs) => xs });
    disableCaching();
    try {
      await sum(1);
      await sum(1);
    } finally {
      enableCaching();
    }
    expect(calls).toHaveLength(2);
    expect(await sum.isCached(1)).toBe(false);
  });

  it('still answers when the cache fails, warning once', async () => {
    const broken = new MemoryCache({ namespace: 'broken' });
    await broken.close(); // every command now rejects with BACKEND_ERROR
    class OnBroken extends ValueCache<number> {
      static override cache = broken;
    }
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const sum = OnBroken.cached(add, { key: (...xs) => xs });
      expect(await sum(1, 2)).toBe(3);
      expect(await sum(1, 2)).toBe(3);
      expect(emitWarning).toHaveBeenCalledTimes(1);
      expect(String(emitWarning.mock.calls[0]![0])).toContain('the cache failed');
      expect(sum.stats().backendErrors).toBe(1);
    } finally {
      emitWarning.mockRestore();
    }
  });

  it('refuses a missing key function or a bad allowNone, naming the option', () => {
    const Values = onCache();
    expect(() => Values.cached(add, {} as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('"key"') }));
    expect(() => Values.cached(add, { key: () => [], allowNone: 'yes' as never })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => Values.cached('add' as never, { key: () => [] })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('@ValueCache.cached({ key }) on methods (TC39 decorators)', () => {
  it("keys by what the key function returns, with the call's this", async () => {
    const current = cache;
    class Reports extends ValueCache<string> {
      static override cache = current;
      static override prefix = 'report';
    }
    let runs = 0;
    class Service {
      constructor(readonly tenant: string) {}

      @Reports.cached({ key(this: Service, month: string) { return [this.tenant, month]; } })
      async build(month: string): Promise<string> {
        runs++;
        return `${this.tenant} ${month}`;
      }
    }
    const acme = new Service('acme');
    expect(await acme.build('2024-01')).toBe('acme 2024-01');
    expect(await new Service('acme').build('2024-01')).toBe('acme 2024-01');
    expect(await new Service('other').build('2024-01')).toBe('other 2024-01');
    expect(runs).toBe(2);
    expect(await new Reports(['acme', '2024-01']).get()).toBe('acme 2024-01');
  });
});
