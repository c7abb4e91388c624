import fc from 'fast-check';
import { PrimitiveKeyCache } from '../../lib/keys/primitive-cache';
import { defaultKey } from '../../lib/keys';

describe('PrimitiveKeyCache', () => {
  const primitive = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY),
    fc.string(),
    fc.constantFrom('1', '0', 'NaN', 'true', 'null', '\uD800', '\uFFFD'),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.bigInt(),
  );

  it('always answers what defaultKey answers, however often and in whatever order it is asked', () => {
    const cache = new PrimitiveKeyCache(50);
    fc.assert(
      fc.property(fc.array(fc.array(primitive, { maxLength: 5 }), { minLength: 1, maxLength: 20 }), (lists) => {
        for (const args of [...lists, ...lists]) expect(cache.keyFor(args, defaultKey)).toBe(defaultKey(args));
      }),
      { numRuns: 300 },
    );
  });

  it('remembers a key (compute runs once per distinct argument list)', () => {
    const cache = new PrimitiveKeyCache();
    const compute = jest.fn(defaultKey);
    for (let i = 0; i < 5; i++) cache.keyFor([1, 'a'], compute);
    cache.keyFor([1, 'a', undefined], compute); // trailing undefined: the same list
    expect(compute).toHaveBeenCalledTimes(1);
    cache.keyFor(['1', 'a'], compute);
    expect(compute).toHaveBeenCalledTimes(2);
  });

  it('tells -0 from 0, which its Maps alone would not', () => {
    const cache = new PrimitiveKeyCache();
    expect(cache.keyFor([0], defaultKey)).toBe('[0]');
    expect(cache.keyFor([-0], defaultKey)).toBe('[-0]');
    expect(cache.keyFor([-0, 0], defaultKey)).toBe('[-0,0]');
    expect(cache.keyFor([0, -0], defaultKey)).toBe('[0,-0]');
    expect(cache.keyFor([0], defaultKey)).toBe('[0]');
  });

  it('leaves objects, long argument lists and symbols to compute every time', () => {
    const cache = new PrimitiveKeyCache();
    const compute = jest.fn(defaultKey);
    cache.keyFor([{ a: 1 }], compute);
    cache.keyFor([{ a: 1 }], compute);
    cache.keyFor([1, 2, 3, 4], compute);
    cache.keyFor([1, 2, 3, 4], compute);
    expect(compute).toHaveBeenCalledTimes(4);
    expect(() => cache.keyFor([Symbol('s')], compute)).toThrow(/symbol/);
    expect(() => cache.keyFor([Symbol('s')], compute)).toThrow(/symbol/);
  });

  it('starts over past its limit instead of growing without bound', () => {
    const cache = new PrimitiveKeyCache(10);
    const compute = jest.fn(defaultKey);
    for (let i = 0; i < 11; i++) cache.keyFor([i], compute);
    cache.keyFor([0], compute); // forgotten when the 11th key cleared the cache
    expect(compute).toHaveBeenCalledTimes(12);
  });

  it('finds the leaf of a list it keyed, by its key, and nothing for a list it did not', () => {
    const cache = new PrimitiveKeyCache();
    const keyOf = (args: unknown[]) => cache.keyFor(args, defaultKey);
    const lists: unknown[][] = [[], [1], [0], [-0], [NaN], [7, 'user'], [-0, 'user'], [1, null, true], ['a', undefined]];
    for (const args of lists) {
      const key = keyOf(args);
      expect(cache.lastLeaf?.key).toBe(key);
      expect(cache.find(args)).toBe(cache.lastLeaf);
    }
    expect(cache.find([0, 'user'])).toBeUndefined(); // only -0 was keyed with 'user'
    expect(cache.find([7, 'user'])?.key).toBe(defaultKey([7, 'user']));
    expect(cache.find(['a'])).toBe(cache.find(['a', undefined]));
    expect(cache.find([8, 'user'])).toBeUndefined();
    expect(cache.find([{ a: 1 }])).toBeUndefined();
    expect(cache.find([1, 2, 3, 4])).toBeUndefined();
    keyOf([{ a: 1 }]);
    expect(cache.lastLeaf).toBeUndefined(); // an object list has no leaf
    cache.clear();
    expect(cache.find([7, 'user'])).toBeUndefined();
    expect(cache.find([])).toBeUndefined();
  });
});
