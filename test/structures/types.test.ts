import { expectTypeOf } from 'expect-type';
import {
  type CacheStats,
  DictCache,
  MemoryCache,
  type Promisified,
  SentinelCache,
  SetCache,
  SortedSetCache,
  ValueCache,
  type ValueCached,
} from 'memoir';

/**
 * Type tests of the data-structure caches. ts-jest type-checks this file: every `expectTypeOf`
 * that does not hold and every `@ts-expect-error` whose error has gone away fails the run.
 */
const cache = new MemoryCache({ namespace: 'types' });
afterAll(() => cache.close());

class Sums extends ValueCache<number> {
  static override cache = cache;
  static override prefix = 'sums';
  static override ttl = '2h';
  static override serialize = false;
}

describe('ValueCache.cached keeps the signature, async', () => {
  test('a sync function: same parameters, a Promise of its result, the applicable methods', async () => {
    const sum = ValueCache.cached((a: number, b: number) => a + b, { key: (a, b) => [a, b] });
    expectTypeOf(sum).parameters.toEqualTypeOf<[a: number, b: number]>();
    expectTypeOf(sum).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(sum).toEqualTypeOf<ValueCached<(a: number, b: number) => number>>();
    expectTypeOf(sum).toExtend<Promisified<(a: number, b: number) => number>>();
    expectTypeOf(sum.peek).parameters.toEqualTypeOf<[a: number, b: number]>();
    expectTypeOf(sum.peek).returns.toEqualTypeOf<Promise<number | undefined>>();
    expectTypeOf(sum.precacheValue).parameters.toEqualTypeOf<[args: [a: number, b: number], value: number]>();
    expectTypeOf(sum.keyFor).returns.toEqualTypeOf<string>();
    expectTypeOf(sum.with({ skipCache: true })).toEqualTypeOf<(a: number, b: number) => Promise<number>>();
    expectTypeOf(sum.stats).returns.toEqualTypeOf<CacheStats>();
    expect(await sum(2, 3)).toBe(5);

    // @ts-expect-error a string where a number is expected
    await sum('2', 3).catch(() => undefined);
    // @ts-expect-error not a method here: entries cannot be enumerated (change the prefix instead)
    expect(sum.clearCache).toBeUndefined();
  });

  test('an async function and a rest parameter; the key function is typed from the function', async () => {
    const load = ValueCache.cached(async (id: string, options?: { fresh: boolean }) => ({ id, fresh: options?.fresh ?? false }), {
      key: (id, options) => {
        expectTypeOf(id).toEqualTypeOf<string>();
        expectTypeOf(options).toEqualTypeOf<{ fresh: boolean } | undefined>();
        return ['load', id];
      },
    });
    expectTypeOf(load).returns.toEqualTypeOf<Promise<{ id: string; fresh: boolean }>>();
    const total = Sums.cached((...xs: number[]) => xs.reduce((a, b) => a + b, 0), { key: (...xs) => xs });
    expectTypeOf(total).parameters.toEqualTypeOf<number[]>();
    expectTypeOf(total).returns.toEqualTypeOf<Promise<number>>();
    expect(await total(1, 2, 3)).toBe(6);
    expect(total.keyFor(1, 2, 3)).toBe('sums.1.2.3');

    // @ts-expect-error key parts are strings, numbers, bigints or booleans
    ValueCache.cached((id: string) => id, { key: (id) => [{ id }] });
    // @ts-expect-error the key function is required
    expect(() => ValueCache.cached((id: string) => id, {})).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  test('the decorator takes async methods (a sync one would change its type)', () => {
    class Service {
      @Sums.cached({ key: (id: number) => [id] })
      async load(id: number): Promise<number> {
        return id;
      }

      // @ts-expect-error a sync method cannot become async under a decorator
      @Sums.cached({ key: (id: number) => [id] })
      loadSync(id: number): number {
        return id;
      }
    }
    expectTypeOf(new Service().load).toEqualTypeOf<(id: number) => Promise<number>>();
  });
});

describe('the structures are typed like Map, Set and a sorted set, async', () => {
  test('members, values and iteration', async () => {
    const dict = new DictCache<string, number>('d', { data: { a: 1 } });
    expectTypeOf(dict.get).parameters.toEqualTypeOf<[name: string]>();
    expectTypeOf(dict.get('a')).toEqualTypeOf<Promise<number | undefined>>();
    expectTypeOf(dict.set('a', 1)).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(dict.size()).toEqualTypeOf<Promise<number>>();
    expectTypeOf(dict.entries()).toEqualTypeOf<AsyncIterableIterator<[string, number]>>();
    // @ts-expect-error values are numbers
    await dict.set('a', 'one');

    const set = new SetCache<string>('s');
    expectTypeOf(set.add('x')).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(set[Symbol.asyncIterator]()).toEqualTypeOf<AsyncIterableIterator<string>>();

    const queue = new SortedSetCache<string>('z', { data: [[1, 'a']] });
    expectTypeOf(queue.pop()).toEqualTypeOf<Promise<[number, string] | undefined>>();
    expectTypeOf(queue.range(0, -1)).toEqualTypeOf<Promise<Array<[number, string]>>>();
    // @ts-expect-error the score comes first
    await queue.add('a', 1).catch(() => undefined);

    expectTypeOf(new SentinelCache('gate').claim()).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(new ValueCache<number>('v').increment()).toEqualTypeOf<Promise<number>>();
    expectTypeOf(new ValueCache('v').key).toEqualTypeOf<string>();
    await Promise.all([dict.ready(), queue.ready()]);
  });
});
