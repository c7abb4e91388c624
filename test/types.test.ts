import { expectTypeOf } from 'expect-type';
import {
  type CacheStats,
  type CachedOptions,
  type CachedDecorator,
  type CallOptions,
  cached,
  cacheOf,
  createCache,
  type Memoized,
  type Promisified,
} from 'memoir';

/**
 * Type tests. ts-jest type-checks this file, so every `expectTypeOf` that does not hold and
 * every `@ts-expect-error` whose error has gone away fails the run. The few runtime
 * assertions only show that the typed calls do what their types say.
 */

const memory = { backend: 'memory' } as const;

describe('cached(fn) keeps the exact signature', () => {
  test('sync function: parameters, return type, management methods', async () => {
    const area = cached((w: number, h: number) => w * h, memory);
    expectTypeOf(area).parameters.toEqualTypeOf<[w: number, h: number]>();
    expectTypeOf(area).returns.toEqualTypeOf<number>();
    expectTypeOf(area).toExtend<(w: number, h: number) => number>();
    expectTypeOf(area).toEqualTypeOf<Memoized<(w: number, h: number) => number>>();

    expectTypeOf(area.keyFor).parameters.toEqualTypeOf<[w: number, h: number]>();
    expectTypeOf(area.invalidate).parameters.toEqualTypeOf<[w: number, h: number]>();
    expectTypeOf(area.isCached).returns.toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(area.peek).returns.toEqualTypeOf<Promise<number | undefined>>();
    expectTypeOf(area.stats).returns.toEqualTypeOf<CacheStats>();
    expectTypeOf(area.cacheName).toEqualTypeOf<string>();
    expectTypeOf(area.cachePath).returns.toEqualTypeOf<string | undefined>();
    expectTypeOf(area.clearCache).returns.toEqualTypeOf<Promise<void>>();

    // @ts-expect-error a string where a number is expected
    expect(() => area('2', 3)).not.toThrow();
    // @ts-expect-error too few arguments
    area(2);
    // @ts-expect-error the management methods check arguments too
    area.keyFor(2, 'x');
    // @ts-expect-error the result is a number
    const wrong: string = area(2, 3);
    expect(wrong).toBe(6);

    expect(area(2, 3)).toBe(6);
    expect(await area.peek(2, 3)).toBe(6);
  });

  test('async function: the promise type is kept; values for precache/peek are awaited', async () => {
    const load = cached(async (id: string) => ({ id, at: 1 }), memory);
    expectTypeOf(load).parameters.toEqualTypeOf<[id: string]>();
    expectTypeOf(load).returns.toEqualTypeOf<Promise<{ id: string; at: number }>>();
    expectTypeOf(load.peek).returns.toEqualTypeOf<
      Promise<{ id: string; at: number } | undefined>
    >();
    expectTypeOf(load.precacheValue).parameters.toEqualTypeOf<
      [args: [id: string], value: { id: string; at: number }]
    >();
    expectTypeOf(load.precacheValue).returns.toEqualTypeOf<Promise<{ id: string; at: number }>>();

    const wrongCalls = () => [
      // @ts-expect-error the value is the awaited result, not a promise of it
      load.precacheValue(['a'], Promise.resolve({ id: 'a', at: 2 })),
      // @ts-expect-error args is the argument tuple, not a bare argument
      load.precacheValue('a', { id: 'a', at: 2 }),
      // @ts-expect-error the value must have the result's shape
      load.precacheValue(['a'], { id: 'a' }),
    ];
    expect(wrongCalls).toBeInstanceOf(Function);
    await load.precacheValue(['a'], { id: 'a', at: 2 });
    expect(await load('a')).toEqual({ id: 'a', at: 2 });
  });

  test('optional and rest parameters stay optional and rest', async () => {
    const greet = cached(
      (name: string, greeting?: string) => `${greeting ?? 'hi'} ${name}`,
      memory,
    );
    expectTypeOf(greet).parameters.toEqualTypeOf<[name: string, greeting?: string]>();
    // precacheValue takes the whole argument list: a shorter one would not say which call it means.
    expectTypeOf(greet.precacheValue)
      .parameter(0)
      .toEqualTypeOf<[name: string, greeting: string | undefined]>();
    // @ts-expect-error the optional parameter must be spelled out
    await expect(greet.precacheValue(['ann'], 'yo ann')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await greet.precacheValue(['ann', undefined], 'yo ann');
    expect(greet('ann')).toBe('yo ann');
    // Trailing undefined does not change the key, so the typed optional call hits the same entry.
    expect(greet('ann', undefined)).toBe('yo ann');

    const sum = cached((...xs: number[]) => xs.reduce((a, b) => a + b, 0), memory);
    expectTypeOf(sum).parameters.toEqualTypeOf<number[]>();
    expect(sum(1, 2, 3)).toBe(6);
    // @ts-expect-error rest elements keep their type
    sum(1, '2');
  });

  test('with() returns the same signature', () => {
    const area = cached((w: number, h: number) => w * h, memory);
    const fresh = area.with({ skipCache: true });
    expectTypeOf(fresh).toEqualTypeOf<(w: number, h: number) => number>();
    expectTypeOf(area.with).parameter(0).toEqualTypeOf<CallOptions>();
    expect(fresh(2, 5)).toBe(10);
    // @ts-expect-error unknown call options are rejected (at runtime too)
    expect(() => area.with({ skipcache: true })).toThrow(/skipcache/);
    // @ts-expect-error the same argument checks apply
    fresh('2', 5);
  });

  test('overloads: every call signature survives; Parameters<> sees only the last one', async () => {
    function parse(input: string): number;
    function parse(input: number): string;
    function parse(input: string | number): string | number {
      return typeof input === 'string' ? Number(input) : String(input);
    }
    const memoParse = cached(parse, memory);
    expectTypeOf(memoParse('1')).toEqualTypeOf<number>();
    expectTypeOf(memoParse(1)).toEqualTypeOf<string>();
    expectTypeOf(memoParse.with({ overwriteCache: true })('1')).toEqualTypeOf<number>();
    expectTypeOf(memoParse.with({ overwriteCache: true })(1)).toEqualTypeOf<string>();
    expect(memoParse('7')).toBe(7);
    expect(memoParse(7)).toBe('7');

    // TypeScript limit: Parameters<F> and ReturnType<F> of an overloaded F take its LAST
    // overload only, so the management methods (typed through them) accept that overload's
    // arguments. Call the function itself, or cast, for the other overloads.
    expectTypeOf(memoParse.keyFor).parameters.toEqualTypeOf<[input: number]>();
    expectTypeOf(memoParse.peek).returns.toEqualTypeOf<Promise<string | undefined>>();
    // @ts-expect-error the first overload's argument type is not seen by keyFor
    memoParse.keyFor('1');
    expect(await memoParse.peek(7)).toBe('7');
  });

  test('generic functions keep their type parameters where TypeScript allows', () => {
    const first = cached(<T>(items: T[]) => items[0], memory);
    expectTypeOf(first([1, 2])).toEqualTypeOf<number>();
    expectTypeOf(first(['a'])).toEqualTypeOf<string>();
    expectTypeOf(first.with({})([true])).toEqualTypeOf<boolean>();
    expect(first(['a', 'b'])).toBe('a');
    // Parameters<> of a generic function instantiates T with its constraint (unknown).
    expectTypeOf(first.keyFor).parameters.toEqualTypeOf<[items: unknown[]]>();
  });

  test('this-typed functions keep their this', () => {
    const counter = { step: 2 };
    const times = cached(function (this: typeof counter, n: number) {
      return n * this.step;
    }, memory);
    expectTypeOf(times).thisParameter.toEqualTypeOf<{ step: number }>();
    expect(times.call(counter, 4)).toBe(8);
  });
});

describe('backends that change the return type', () => {
  test("a sync function on 'mongo' is typed to return a Promise", () => {
    // Type-level only: never called, so nothing connects.
    const declare = () => {
      const add = cached((a: number, b: number) => a + b, {
        name: 'types.add',
        backend: 'mongo',
        mongetter: () => ({}),
      });
      expectTypeOf(add).toEqualTypeOf<Memoized<Promisified<(a: number, b: number) => number>>>();
      expectTypeOf(add).parameters.toEqualTypeOf<[a: number, b: number]>();
      expectTypeOf(add).returns.toEqualTypeOf<Promise<number>>();
      expectTypeOf(add.precacheValue).parameter(1).toEqualTypeOf<number>();
      // An async function on mongo is not double-wrapped.
      const load = cached(async (id: string) => id.length, {
        name: 'types.load',
        backend: 'mongo',
        mongetter: () => ({}),
      });
      expectTypeOf(load).returns.toEqualTypeOf<Promise<number>>();
    };
    expect(typeof declare).toBe('function');
  });

  test('a sync function on a cache alias or a key-value cache is typed to return a Promise', () => {
    const declare = () => {
      const viaAlias = cached((a: number, b: number) => a + b, { name: 'types.alias', backend: 'sessions' });
      expectTypeOf(viaAlias).toEqualTypeOf<Memoized<Promisified<(a: number, b: number) => number>>>();
      const viaCache = cached((a: number) => String(a), { name: 'types.kv', backend: createCache({ backend: 'memory' }), serializer: 'json' });
      expectTypeOf(viaCache).returns.toEqualTypeOf<Promise<string>>();
      // The built-in names keep their own rule.
      expectTypeOf(cached((a: number) => a, { name: 'types.mem', backend: 'memory', serializer: 'json' })).returns.toEqualTypeOf<number>();
      // @ts-expect-error a serializer is a name or { serialize, deserialize }
      cached((a: number) => a, { name: 'types.bad', backend: 'memory', serializer: 'yaml' });
    };
    expect(typeof declare).toBe('function');
  });

  test('async: true types a sync function as returning a Promise, also when the backend is chosen at run time', () => {
    const declare = (options: CachedOptions) => {
      expectTypeOf(cached((a: number) => a, { ...options, async: true })).returns.toEqualTypeOf<Promise<number>>();
      expectTypeOf(cached((a: number) => a, { name: 'types.mem-async', backend: 'memory', async: true })).returns.toEqualTypeOf<Promise<number>>();
      expectTypeOf(cached(async (a: number) => a, { ...options, async: true })).returns.toEqualTypeOf<Promise<number>>();
    };
    expect(typeof declare).toBe('function');
  });

  test("a sync function on 'redis' is typed to return a Promise", () => {
    const declare = () => {
      const add = cached((a: number, b: number) => a + b, { name: 'types.redis', backend: 'redis', redis: 'redis://127.0.0.1' });
      expectTypeOf(add).returns.toEqualTypeOf<Promise<number>>();
    };
    expect(typeof declare).toBe('function');
  });

  test('memory and file keep a sync function sync', () => {
    const declare = () => {
      expectTypeOf(
        cached((a: number) => a, { name: 'types.file', backend: 'file' }),
      ).returns.toEqualTypeOf<number>();
      expectTypeOf(cached((a: number) => a, memory)).returns.toEqualTypeOf<number>();
    };
    expect(typeof declare).toBe('function');
  });

  test('options are checked', () => {
    const id = (a: number) => a;
    // @ts-expect-error unknown option (refused at run time too)
    expect(() => cached(id, { backend: 'memory', stalAfter: '1h' })).toThrow(/Unknown option "stalAfter"/);
    // A string that is no built-in backend names a cache alias: an unknown one is refused at decoration.
    expect(() => cached(id, { backend: 'memcached' })).toThrow(/Invalid option "backend"/);
    // @ts-expect-error durations are numbers or strings
    expect(() => cached(id, { backend: 'memory', staleAfter: true })).toThrow();
  });
});

describe('decorators', () => {
  test('cached(options) is a decorator; decorated methods keep their types', async () => {
    expectTypeOf(cached(memory)).toEqualTypeOf<CachedDecorator>();

    class Reports {
      constructor(readonly owner: string) {}

      @cached(memory)
      build(month: string, draft?: boolean): string {
        return `${this.owner}/${month}${draft ? '*' : ''}`;
      }

      @cached(memory)
      async fetch(id: number): Promise<{ id: number }> {
        return { id };
      }

      @cached(memory)
      static count(kind: 'a' | 'b'): number {
        return kind.length;
      }
    }
    const reports = new Reports('ann');
    expectTypeOf(reports.build).toEqualTypeOf<(month: string, draft?: boolean) => string>();
    expectTypeOf(reports.fetch).returns.toEqualTypeOf<Promise<{ id: number }>>();
    expectTypeOf(Reports.count).parameters.toEqualTypeOf<[kind: 'a' | 'b']>();
    // @ts-expect-error decorated methods still check their arguments
    reports.build(3);
    // @ts-expect-error literal parameter types survive
    Reports.count('c');

    // Decorators cannot change a member's declared type: cacheOf() exposes the management
    // methods of a decorated method with the method's own types.
    const build = cacheOf(reports.build);
    expectTypeOf(build).toEqualTypeOf<Memoized<(month: string, draft?: boolean) => string>>();
    expectTypeOf(cacheOf(reports.fetch).peek).returns.toEqualTypeOf<
      Promise<{ id: number } | undefined>
    >();
    expect(reports.build('jan')).toBe('ann/jan');
    expect(await build.peek('jan')).toBe('ann/jan');
    expect(build.cacheName).toBe('memoir/test/types.test.ts:Reports.build');
    // @ts-expect-error precacheValue is typed from the method
    await build.precacheValue(['feb', undefined], 42);
    expect(() => cacheOf((x: number) => x)).toThrow(/memoized/);
  });

  test('the decorator only fits methods', () => {
    const declare = () => {
      class Wrong {
        // @ts-expect-error a field is not a method
        @cached(memory)
        value = 1;
      }
      return Wrong;
    };
    expect(typeof declare).toBe('function');
  });
});
