import fc from 'fast-check';
import { defaultKey } from '../../lib/keys';
import { ArgumentsImage, LastArgumentsKey, matchesSnapshot, snapshotArgs } from '../../lib/keys/snapshot';

/** The key LastArgumentsKey gives, or the code of the error it throws. */
function keyOrRefusal(last: LastArgumentsKey, args: readonly unknown[]): string {
  try {
    return last.keyFor(args, defaultKey);
  } catch (error) {
    return `refused: ${(error as { code?: string }).code}`;
  }
}

function expected(args: readonly unknown[]): string {
  try {
    return defaultKey(args);
  } catch (error) {
    return `refused: ${(error as { code?: string }).code}`;
  }
}

describe('LastArgumentsKey', () => {
  const leaf = fc.oneof(
    fc.integer(),
    fc.constantFrom(0, -0, Number.NaN, 1, '1', '', 'a', true, false, null, undefined, 1n, -1n),
    fc.string({ maxLength: 4 }),
  );
  const value = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, leaf, tie('object'), tie('array'), fc.date({ noInvalidDate: true })),
    object: fc.dictionary(fc.constantFrom('a', 'b', 'c', '0', 'length'), tie('value'), { maxKeys: 3 }),
    array: fc.array(tie('value'), { maxLength: 3 }),
  })).value;

  it('always answers what defaultKey answers, for any sequence of argument lists', () => {
    fc.assert(
      fc.property(fc.array(fc.array(value, { maxLength: 3 }), { minLength: 1, maxLength: 8 }), (lists) => {
        const last = new LastArgumentsKey();
        // Each list twice in a row (the snapshot's case), then all again in order.
        for (const args of [...lists.flatMap((l) => [l, structuredClone(l)]), ...lists]) {
          expect(keyOrRefusal(last, args)).toBe(expected(args));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('builds the key once for a repeated list of equal but distinct objects', () => {
    const last = new LastArgumentsKey();
    const compute = jest.fn(defaultKey);
    const query = () => ({ id: 7, filter: { tags: ['a', 'b'], active: true } });
    const key = last.keyFor([query(), 'x'], compute);
    expect(last.keyFor([query(), 'x'], compute)).toBe(key);
    expect(last.keyFor([query(), 'x'], compute)).toBe(key);
    expect(compute).toHaveBeenCalledTimes(1);
  });

  it('stops imaging lists that never repeat, and takes it up again when they do', () => {
    const last = new LastArgumentsKey();
    const imaging = jest.spyOn(ArgumentsImage, 'of');
    try {
      for (let i = 0; i < 1000; i++) expect(last.keyFor([{ id: i }], defaultKey)).toBe(defaultKey([{ id: i }]));
      expect(imaging.mock.calls.length).toBeLessThan(30);
      const compute = jest.fn(defaultKey);
      for (let i = 0; i < 1000; i++) expect(last.keyFor([{ id: 'same' }], compute)).toBe(defaultKey([{ id: 'same' }]));
      // At most one skipped stretch (256 calls) builds the key, then the image answers.
      expect(compute.mock.calls.length).toBeLessThanOrEqual(257);
    } finally {
      imaging.mockRestore();
    }
  });

  it('sees a mutation of the very object it snapshotted', () => {
    const last = new LastArgumentsKey();
    const arg = { id: 7, filter: { tags: ['a', 'b'], active: true } };
    const before = last.keyFor([arg], defaultKey);
    arg.filter.tags.push('c');
    expect(last.keyFor([arg], defaultKey)).toBe(defaultKey([arg]));
    expect(last.keyFor([arg], defaultKey)).not.toBe(before);
    arg.filter.active = false;
    expect(last.keyFor([arg], defaultKey)).toBe(defaultKey([arg]));
  });

  it('keeps the key type-aware: -0 and 0, 1 and "1", a Date and its ISO string', () => {
    const last = new LastArgumentsKey();
    for (const [a, b] of [
      [0, -0],
      [1, '1'],
      [new Date(0), new Date(0).toISOString()],
      [{ a: 0 }, { a: -0 }],
      [[undefined], [null]],
    ] as const) {
      const first = last.keyFor([a], defaultKey);
      const second = last.keyFor([b], defaultKey);
      expect(second).not.toBe(first);
      expect(second).toBe(defaultKey([b]));
    }
  });

  it('ignores key order, as the key does', () => {
    const last = new LastArgumentsKey();
    expect(last.keyFor([{ a: 1, b: 2 }], defaultKey)).toBe(last.keyFor([{ b: 2, a: 1 }], defaultKey));
  });

  it('refuses what the key refuses, even when it otherwise reads like the last list', () => {
    const last = new LastArgumentsKey();
    const refusal = (args: unknown[]) => () => last.keyFor(args, defaultKey);
    last.keyFor([{ a: 1 }], defaultKey);
    expect(refusal([{ a: 1, [Symbol('s')]: 2 }])).toThrow(expect.objectContaining({ code: 'UNHASHABLE_ARGUMENT' }));
    last.keyFor([[1, 2]], defaultKey);
    expect(refusal([Object.assign([1, 2], { extra: true })])).toThrow(expect.objectContaining({ code: 'UNHASHABLE_ARGUMENT' }));
    const symbolArray = [1, 2] as unknown[] & Record<symbol, unknown>;
    symbolArray[Symbol('s')] = 1;
    expect(refusal([symbolArray])).toThrow(expect.objectContaining({ code: 'UNHASHABLE_ARGUMENT' }));
  });

  it('tells a hole from undefined, also in an array with a property besides', () => {
    const last = new LastArgumentsKey();
    last.keyFor([[1, undefined, 3]], defaultKey);
    const holed: unknown[] = [1];
    holed[2] = 3; // index 1 is a hole
    expect(last.keyFor([holed], defaultKey)).toBe(defaultKey([holed]));
    last.keyFor([[1, undefined, 3]], defaultKey);
    // A hole and an extra property: as many own keys as elements, still refused.
    const tricky: unknown[] = [1];
    tricky[2] = 3;
    Object.assign(tricky, { x: 1 });
    expect(() => last.keyFor([tricky], defaultKey)).toThrow(expect.objectContaining({ code: 'UNHASHABLE_ARGUMENT' }));
  });
});

describe('snapshots', () => {
  it('cover primitives, plain objects and arrays only', () => {
    expect(snapshotArgs([1, 'a', null, undefined, 2n, { a: [1, { b: true }] }])).toBeDefined();
    expect(snapshotArgs([new Date(0)])).toBeUndefined();
    expect(snapshotArgs([new Map()])).toBeUndefined();
    expect(snapshotArgs([Object.create(null)])).toBeUndefined();
    expect(snapshotArgs([new (class Point {})()])).toBeUndefined();
  });

  it('give up on a cycle or a big tree instead of walking it', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(snapshotArgs([cyclic])).toBeUndefined();
    expect(snapshotArgs([Array.from({ length: 1000 }, (_, i) => i)])).toBeUndefined();
  });

  it('hold no reference to the arguments', () => {
    const arg = { nested: { list: [1] } };
    const snapshot = snapshotArgs([arg])!;
    expect(snapshot).not.toContain(arg);
    expect(snapshot).not.toContain(arg.nested);
    expect(snapshot).not.toContain(arg.nested.list);
    expect(matchesSnapshot(snapshot, [{ nested: { list: [1] } }])).toBe(true);
    expect(matchesSnapshot(snapshot, [{ nested: { list: [2] } }])).toBe(false);
  });
});
