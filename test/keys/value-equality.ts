/**
 * The oracle for the key property tests: when two argument values are the same value, written
 * from the documented semantics (docs/keys.md), not from the encoder.
 *
 * - primitives: by type and SameValue (`-0` is not `0`, NaN is NaN);
 * - arrays: same length, holes at the same places, equal elements;
 * - plain objects (and, separately, null-prototype objects): the same own enumerable keys,
 *   in any order, with equal values;
 * - Dates by time value; Maps and Sets by content, in any order (a multiset of entries);
 * - binary data by type and bytes; built-in errors by type and own properties but `stack`;
 *   RegExps by source, flags and lastIndex; boxed primitives by type and value; URLs by href;
 * - identity never matters (`[o, o]` equals `[{...}, {...}]`), except for cycles: a reference
 *   to a container that is still open is the same value as another one exactly when it points
 *   the same number of levels up.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  return equal(a, b, [], []);
}

function equal(a: unknown, b: unknown, openA: object[], openB: object[]): boolean {
  if (typeof a !== typeof b) return false;
  if (typeof a === 'number') return Object.is(a, b);
  if (a === null || b === null || typeof a !== 'object') return a === b;
  const objectB = b as object;
  const upA = openA.lastIndexOf(a);
  const upB = openB.lastIndexOf(objectB);
  if (upA >= 0 || upB >= 0) return upA >= 0 && upB >= 0 && openA.length - upA === openB.length - upB;
  const kind = kindOf(a);
  if (kind !== kindOf(objectB)) return false;
  const innerA = [...openA, a];
  const innerB = [...openB, objectB];
  const same = (x: unknown, y: unknown) => equal(x, y, innerA, innerB);
  switch (kind) {
    case 'array': {
      const [x, y] = [a as unknown[], objectB as unknown[]];
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) {
        if (i in x !== i in y) return false;
        if (i in x && !same(x[i], y[i])) return false;
      }
      return true;
    }
    case 'object':
    case 'dict':
      return sameFields(a, objectB, Object.keys(a), Object.keys(objectB), same);
    case 'date':
      return Object.is((a as Date).getTime(), (objectB as Date).getTime());
    case 'map':
      return sameMultiset(
        [...(a as Map<unknown, unknown>)],
        [...(objectB as Map<unknown, unknown>)],
        ([k1, v1], [k2, v2]) => same(k1, k2) && same(v1, v2),
      );
    case 'set':
      return sameMultiset([...(a as Set<unknown>)], [...(objectB as Set<unknown>)], same);
    case 'regexp': {
      const [x, y] = [a as RegExp, objectB as RegExp];
      return x.source === y.source && x.flags === y.flags && same(x.lastIndex, y.lastIndex);
    }
    case 'url':
      return (a as URL).href === (objectB as URL).href;
    default:
      if (kind.startsWith('boxed ')) return Object.is((a as object).valueOf(), objectB.valueOf());
      if (kind.startsWith('error ')) {
        const names = (error: object) => Object.getOwnPropertyNames(error).filter((name) => name !== 'stack');
        return sameFields(a, objectB, names(a), names(objectB), same);
      }
      if (kind.startsWith('binary ')) return bytesOf(a).equals(bytesOf(objectB));
      throw new Error(`the oracle does not know ${kind}`);
  }
}

function kindOf(value: object): string {
  const prototype = Object.getPrototypeOf(value);
  if (prototype === Object.prototype) return 'object';
  if (prototype === null) return 'dict';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (value instanceof Map) return 'map';
  if (value instanceof Set) return 'set';
  if (value instanceof RegExp) return 'regexp';
  if (value instanceof URL) return 'url';
  if (value instanceof Error) return `error ${value.constructor.name}`;
  if (Buffer.isBuffer(value)) return 'binary Buffer';
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `binary ${value.constructor.name}`;
  if (value instanceof Number || value instanceof String || value instanceof Boolean) {
    return `boxed ${value.constructor.name}`;
  }
  throw new Error(`the oracle does not know ${Object.prototype.toString.call(value)}`);
}

function bytesOf(value: object): Buffer {
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return Buffer.from(value as ArrayBuffer);
}

function sameFields(
  a: object,
  b: object,
  keysA: string[],
  keysB: string[],
  same: (x: unknown, y: unknown) => boolean,
): boolean {
  if (keysA.length !== keysB.length) return false;
  const inB = new Set(keysB);
  return keysA.every(
    (key) => inB.has(key) && same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}

/** Whether the items can be paired one to one by `same` (backtracking: the lists are short). */
function sameMultiset<T>(a: T[], b: T[], same: (x: T, y: T) => boolean): boolean {
  if (a.length !== b.length) return false;
  const used = new Array<boolean>(b.length).fill(false);
  const match = (i: number): boolean => {
    if (i === a.length) return true;
    for (let j = 0; j < b.length; j++) {
      if (used[j] || !same(a[i], b[j])) continue;
      used[j] = true;
      if (match(i + 1)) return true;
      used[j] = false;
    }
    return false;
  };
  return match(0);
}
