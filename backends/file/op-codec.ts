import { types } from 'node:util';
import * as v8 from 'node:v8';

/**
 * The body of a frame is a change serialized with node:v8 (format.ts). Changes are flat objects
 * of strings, numbers, null, booleans and one byte array, and for those this module writes and
 * reads the v8 wire format directly: `v8.serialize` and `v8.deserialize` build a serializer
 * object per call and call back into JavaScript for every Buffer, which made encoding and
 * replaying frames most of the cost of a miss and of reading a large file. The bytes are the
 * ones v8 reads (a file written here is read by `v8.deserialize`, and the other way round);
 * anything else — a `state` change, a value of another type, a frame another v8 version wrote
 * differently — goes through node:v8 itself. Values that are flat (a primitive, or a plain
 * object of primitives) are written here too (records.ts); they are always read by v8.
 *
 * Wire format (v8's ValueSerializer, with Node's host objects for typed arrays):
 *   0xFF version(varint)                       header
 *   'o' (key value)* '{' count(varint)         an object; keys are strings
 *   '"' length(varint) latin1 bytes            a string of one-byte characters
 *   [0x00] 'c' byteLength(varint) UTF-16LE     any other string (padded so its data is aligned)
 *   'N' float64 LE · 'I' zigzag varint · 'U' varint   numbers
 *   '0' null · '_' undefined · 'T' true · 'F' false
 *   '\' type(varint) byteLength(varint) bytes  a Buffer (type 10) or a Uint8Array (type 1)
 *   0x00                                       padding, skipped wherever a tag may stand
 */

const HEADER = v8.serialize(null).subarray(0, 2); // 0xFF and the version this v8 writes
const VERSION = HEADER[1];
const TAG = {
  padding: 0x00,
  object: 0x6f, // o
  endObject: 0x7b, // {
  oneByte: 0x22, // "
  twoByte: 0x63, // c
  double: 0x4e, // N
  int32: 0x49, // I
  uint32: 0x55, // U
  nul: 0x30, // 0
  undef: 0x5f, // _
  yes: 0x54, // T
  no: 0x46, // F
  host: 0x5c, // \
} as const;
/** Node's index of Buffer and of Uint8Array among the typed arrays it serializes. */
const BUFFER_TYPE = 10;
const UINT8_TYPE = 1;

type Flat = string | number | boolean | null | undefined | Uint8Array;

/**
 * The v8 serialization of `value` (what `v8.deserialize` reads back as an equal value), written
 * after `reserve` bytes left for the caller; undefined when `value` is not flat: a string,
 * number, boolean, null, undefined, Buffer or Uint8Array, or a plain object of those (each
 * byte array once: v8 would keep two mentions of one array as one array).
 */
export function encodeFlat(value: unknown, reserve: number): Buffer | undefined {
  if (!isPlainObject(value)) {
    const size = flatSize(value);
    if (size < 0) return undefined;
    const out = Buffer.allocUnsafe(reserve + HEADER.length + size);
    HEADER.copy(out, reserve);
    const end = writeFlat(out, reserve + HEADER.length, reserve, value as Flat);
    return end === out.length ? out : out.subarray(0, end);
  }
  const entries = Object.entries(value) as Array<[string, Flat]>;
  let size = HEADER.length + 1 + 1 + varintSize(entries.length);
  let arrays: Uint8Array[] | undefined;
  for (const [key, field] of entries) {
    const fieldSize = flatSize(field);
    if (fieldSize < 0 || key === '__proto__') return undefined;
    if (typeof field === 'object' && field !== null) {
      if (arrays?.includes(field)) return undefined;
      (arrays ??= []).push(field);
    }
    size += flatSize(key) + fieldSize;
  }
  const out = Buffer.allocUnsafe(reserve + size);
  let at = reserve;
  at += HEADER.copy(out, at);
  out[at++] = TAG.object;
  for (const [key, field] of entries) {
    at = writeFlat(out, at, reserve, key);
    at = writeFlat(out, at, reserve, field);
  }
  out[at++] = TAG.endObject;
  at = writeVarint(out, at, entries.length);
  return at === out.length ? out : out.subarray(0, at);
}

/** An object v8 writes as a plain object ('o'): not an array, a class instance or a proxy. */
function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || types.isProxy(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Decodes what `encodeFlat` (or v8 on a flat object) wrote; anything else goes to `v8.deserialize`. */
export function decodeFlat(body: Buffer): unknown {
  return readFlat(body) ?? v8.deserialize(body);
}

/** Bytes `writeFlat` takes at most for `value`; -1 when it is not a flat value. */
function flatSize(value: unknown): number {
  switch (typeof value) {
    case 'string':
      // One-byte, or two-byte with at most one padding byte.
      return isOneByte(value) ? 1 + varintSize(value.length) + value.length : 2 + varintSize(value.length * 2) + value.length * 2;
    case 'number':
      return 9;
    case 'boolean':
    case 'undefined':
      return 1;
    case 'object':
      if (value === null) return 1;
      // Exactly a Buffer or a Uint8Array: Node's serializer refuses subclasses, and writes other
      // typed arrays with other type numbers.
      if (!types.isUint8Array(value) || (value.constructor !== Buffer && value.constructor !== Uint8Array)) return -1;
      return 1 + 1 + varintSize(value.byteLength) + value.byteLength;
    default:
      return -1;
  }
}

function writeFlat(out: Buffer, at: number, start: number, value: Flat): number {
  switch (typeof value) {
    case 'string':
      if (isOneByte(value)) return writeOneByte(out, at, value);
      // v8 aligns the characters of a two-byte string (counted from the start of the buffer).
      if ((at - start + 1 + varintSize(value.length * 2)) & 1) out[at++] = TAG.padding;
      out[at++] = TAG.twoByte;
      at = writeVarint(out, at, value.length * 2);
      return at + out.write(value, at, 'utf16le');
    case 'number':
      out[at] = TAG.double;
      out.writeDoubleLE(value, at + 1);
      return at + 9;
    case 'boolean':
      out[at] = value ? TAG.yes : TAG.no;
      return at + 1;
    case 'undefined':
      out[at] = TAG.undef;
      return at + 1;
    default: {
      if (value === null) {
        out[at] = TAG.nul;
        return at + 1;
      }
      const bytes = value as Uint8Array;
      out[at++] = TAG.host;
      out[at++] = Buffer.isBuffer(bytes) ? BUFFER_TYPE : UINT8_TYPE;
      at = writeVarint(out, at, bytes.byteLength);
      out.set(bytes, at);
      return at + bytes.byteLength;
    }
  }
}

function writeOneByte(out: Buffer, at: number, text: string): number {
  out[at++] = TAG.oneByte;
  at = writeVarint(out, at, text.length);
  if (text.length > 32) return at + out.write(text, at, 'latin1');
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  return at + text.length;
}

function isOneByte(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false;
  return true;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

function writeVarint(out: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[at++] = n;
  return at;
}

/** A cursor over a body; `fail` is set when the bytes are not the flat shape read here. */
interface Cursor {
  body: Buffer;
  at: number;
  fail: boolean;
}

function readFlat(body: Buffer): Record<string, Flat> | undefined {
  if (body.length < 4 || body[0] !== HEADER[0] || body[1] !== VERSION) return undefined;
  const cursor: Cursor = { body, at: 2, fail: false };
  if (nextTag(cursor) !== TAG.object) return undefined;
  const op: Record<string, Flat> = {};
  let count = 0;
  for (;;) {
    const tag = nextTag(cursor);
    if (tag === TAG.endObject) break;
    if (tag !== TAG.oneByte) return undefined;
    const key = readKey(cursor);
    const value = readValue(cursor, nextTag(cursor));
    if (cursor.fail || key === '__proto__') return undefined;
    op[key] = value;
    count++;
  }
  if (readVarint(cursor) !== count || cursor.fail || cursor.at !== body.length) return undefined;
  return op;
}

function nextTag(cursor: Cursor): number {
  while (cursor.at < cursor.body.length && cursor.body[cursor.at] === TAG.padding) cursor.at++;
  if (cursor.at >= cursor.body.length) {
    cursor.fail = true;
    return -1;
  }
  return cursor.body[cursor.at++];
}

function readValue(cursor: Cursor, tag: number): Flat {
  const { body } = cursor;
  switch (tag) {
    case TAG.oneByte:
      return readString(cursor, 1);
    case TAG.twoByte:
      return readString(cursor, 2);
    case TAG.double: {
      if (cursor.at + 8 > body.length) break;
      const value = body.readDoubleLE(cursor.at);
      cursor.at += 8;
      return value;
    }
    case TAG.int32: {
      const zigzag = readVarint(cursor);
      return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
    }
    case TAG.uint32:
      return readVarint(cursor);
    case TAG.nul:
      return null;
    case TAG.undef:
      return undefined;
    case TAG.yes:
      return true;
    case TAG.no:
      return false;
    case TAG.host: {
      const type = readVarint(cursor);
      const length = readVarint(cursor);
      if ((type !== BUFFER_TYPE && type !== UINT8_TYPE) || cursor.at + length > body.length) break;
      const start = cursor.at;
      cursor.at += length;
      // A view over the body, as v8.deserialize returns byte arrays.
      return type === BUFFER_TYPE ? body.subarray(start, start + length) : new Uint8Array(body.buffer, body.byteOffset + start, length);
    }
  }
  cursor.fail = true;
  return undefined;
}

/** The names of the changes' fields, so that reading a field name allocates nothing. */
const KNOWN_KEYS = ['op', 'id', 'key', 'bytes', 'time', 'owner', 'promised', 'now', 'leaseUntil', 'before', 'cmd', 'arg'];
const KEYS_BY_LENGTH: string[][] = [];
for (const key of KNOWN_KEYS) (KEYS_BY_LENGTH[key.length] ??= []).push(key);

function readKey(cursor: Cursor): string {
  const { body, at } = cursor;
  const length = body[at];
  if (length < 0x80 && at + 1 + length <= body.length) {
    for (const key of KEYS_BY_LENGTH[length] ?? []) {
      let same = true;
      for (let i = 0; i < length && same; i++) same = body[at + 1 + i] === key.charCodeAt(i);
      if (same) {
        cursor.at = at + 1 + length;
        return key;
      }
    }
  }
  return readString(cursor, 1);
}

function readString(cursor: Cursor, width: 1 | 2): string {
  const length = readVarint(cursor);
  const end = cursor.at + length;
  if (end > cursor.body.length || length % width !== 0) {
    cursor.fail = true;
    return '';
  }
  const text = cursor.body.toString(width === 1 ? 'latin1' : 'utf16le', cursor.at, end);
  cursor.at = end;
  return text;
}

function readVarint(cursor: Cursor): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (cursor.at >= cursor.body.length) break;
    const byte = cursor.body[cursor.at++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 0x80;
  }
  cursor.fail = true;
  return 0;
}
