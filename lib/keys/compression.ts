/**
 * Shortening of object-hash's serialization text without changing which texts are equal.
 *
 * object-hash spells out, for every plain object, three "type" fields: `prototype`,
 * `__proto__` (Object.prototype, walked in full the first time, a `[CIRCULAR:i]` string after)
 * and `constructor` (the Object function). That header costs 130 to 250 characters per plain
 * object, and every character is paid again by the `Map.get` that hashes the key.
 *
 * `compressKeyText` replaces each such header with a short code. Why key equality stays
 * exactly object-hash equality:
 *
 * 1. The uncompressed text T has one character per byte object-hash feeds its digest (see
 *    keys.ts), so every character of T is below U+0100, and T(a) = T(b) exactly when object-hash
 *    gives a and b the same hash (up to SHA-1 collisions).
 * 2. A code starts with MARK_FIRST or MARK_NEXT (U+0100, U+0101, never in T) and is a fixed
 *    list of decimal numbers, each closed by SEPARATOR (U+0102). `expandKeyText` therefore finds
 *    every code, and only codes, and rebuilds the header it stands for from the numbers:
 *    expandKeyText(compressKeyText(T)) = T for every T. A function with a left inverse is
 *    injective, so compressKeyText(T(a)) = compressKeyText(T(b)) exactly when T(a) = T(b).
 * 3. compressKeyText is a function of the text alone (a global regex replace), so it does not
 *    matter how T came to be: fast serializer or object-hash itself. The fast serializer writes
 *    the codes itself instead of calling this; key-serializer.ts argues why what it writes is
 *    exactly compressKeyText(T), and the property test checks it.
 */

/** The Object function as object-hash writes it: native, named, its own (empty) keys follow. */
export const OBJECT_FUNCTION = 'fn:string:8:[native]string:20:function-name:Object';

/** Object.prototype walked for the first time (Object itself not yet visited). */
export const OBJECT_PROTOTYPE =
  'object:3:string:9:prototype:Undefined,string:9:__proto__:Null,string:11:constructor:' +
  `${OBJECT_FUNCTION}object:0:,`;

/** After `object:<n>:`: the `prototype` field (undefined) and the `__proto__` field's name. */
const HEADER_START = 'string:9:prototype:Undefined,string:9:__proto__:';
/** Between the `__proto__` value and the back-reference to Object. */
const HEADER_MIDDLE = `,string:11:constructor:${OBJECT_FUNCTION}`;

/** Code of a header whose `__proto__` walks Object.prototype: MARK_FIRST n ; j ; */
export const MARK_FIRST = '\u0100';
/** Code of a header whose `__proto__` is a back-reference: MARK_NEXT n ; i ; j ; */
export const MARK_NEXT = '\u0101';
export const SEPARATOR = '\u0102';

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

const CIRCULAR_PATTERN = 'string:(\\d+):\\[CIRCULAR:(\\d+)\\]';

/** A full plain-object header; groups: n, [Lx, i] when `__proto__` is a back-reference, Ly, j. */
const HEADER = new RegExp(
  `object:(\\d+):${escapeRegExp(HEADER_START)}` +
    `(?:${escapeRegExp(OBJECT_PROTOTYPE)}|${CIRCULAR_PATTERN})` +
    `${escapeRegExp(HEADER_MIDDLE)}${CIRCULAR_PATTERN},`,
  'g',
);

const CODE = new RegExp(
  `${MARK_FIRST}(\\d+)${SEPARATOR}(\\d+)${SEPARATOR}|` +
    `${MARK_NEXT}(\\d+)${SEPARATOR}(\\d+)${SEPARATOR}(\\d+)${SEPARATOR}`,
  'g',
);

/** object-hash's `[CIRCULAR:i]` back-reference, as a dispatched string. */
export function circular(index: number | string): string {
  const reference = `[CIRCULAR:${index}]`;
  return `string:${reference.length}:${reference}`;
}

/** The length object-hash writes before `[CIRCULAR:<digits>]`. */
function circularLength(digits: string): string {
  return String(11 + digits.length);
}

/** Replaces every plain-object header of object-hash's text with its code. */
export function compressKeyText(text: string): string {
  return text.replace(
    HEADER,
    (
      header,
      fields: string,
      lengthX?: string,
      indexX?: string,
      lengthY?: string,
      indexY?: string,
    ) => {
      // A back-reference whose length prefix does not fit its digits cannot come from object-hash's
      // own [CIRCULAR] strings; leaving it alone keeps the code's meaning fixed.
      if (lengthY !== circularLength(indexY!)) return header;
      if (indexX === undefined) return `${MARK_FIRST}${fields}${SEPARATOR}${indexY}${SEPARATOR}`;
      if (lengthX !== circularLength(indexX)) return header;
      return `${MARK_NEXT}${fields}${SEPARATOR}${indexX}${SEPARATOR}${indexY}${SEPARATOR}`;
    },
  );
}

/** The inverse of compressKeyText: object-hash's text back from a key text. */
export function expandKeyText(key: string): string {
  return key.replace(
    CODE,
    (
      _code,
      firstFields?: string,
      firstY?: string,
      fields?: string,
      indexX?: string,
      indexY?: string,
    ) =>
      firstFields !== undefined
        ? firstHeader(firstFields, firstY!)
        : nextHeader(fields!, indexX!, indexY!),
  );
}

function firstHeader(fields: string, indexY: string): string {
  return `object:${fields}:${HEADER_START}${OBJECT_PROTOTYPE}${HEADER_MIDDLE}${circular(indexY)},`;
}

function nextHeader(fields: string, indexX: string, indexY: string): string {
  return `object:${fields}:${HEADER_START}${circular(indexX)}${HEADER_MIDDLE}${circular(indexY)},`;
}

/** The code of a header whose `__proto__` walks Object.prototype for the first time. */
export function firstHeaderCode(fields: number, objectIndex: number): string {
  return `${MARK_FIRST}${fields}${SEPARATOR}${objectIndex}${SEPARATOR}`;
}

/** The code of a header whose `__proto__` and `constructor` are back-references. */
export function nextHeaderCode(
  fields: number,
  prototypeIndex: number,
  objectIndex: number,
): string {
  return `${MARK_NEXT}${fields}${SEPARATOR}${prototypeIndex}${SEPARATOR}${objectIndex}${SEPARATOR}`;
}
