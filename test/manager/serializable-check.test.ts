import * as v8 from 'node:v8';
import fc from 'fast-check';
import { assertSerializable } from '../../lib/manager/serializable';

// The check at set walks common values itself and asks v8 only when unsure: it must agree
// with v8 on every value, so it never refuses a good value nor lets a bad one through.
it('the set-time check agrees with node:v8 on arbitrary values, unsavable parts included', () => {
  const unsavableParts = [
    fc.constant(() => 1),
    fc.constant(Symbol('s')),
    fc.constant(new WeakMap()),
    fc.constant(new Proxy({}, {})),
    fc.constant(Object(Symbol('boxed'))),
  ];
  const value = fc.anything({
    maxDepth: 3,
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withNullPrototype: true,
    withSparseArray: true,
    withBoxedValues: true,
    values: [fc.integer(), fc.string(), fc.boolean(), fc.constant(null), ...unsavableParts],
  });
  const throws = (check: () => unknown) => {
    try {
      check();
      return false;
    } catch {
      return true;
    }
  };
  fc.assert(
    fc.property(value, (candidate) => {
      expect(throws(() => assertSerializable(candidate))).toBe(throws(() => v8.serialize(candidate)));
    }),
    { numRuns: 2_000 },
  );
  // An array's named properties are serialized too: a function there must not slip through.
  const withExtra = Object.assign([1, 2], { callback: () => 1 });
  expect(() => assertSerializable(withExtra)).toThrow();
});

