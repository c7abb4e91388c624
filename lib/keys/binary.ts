import { endianness } from 'node:os';
import { types } from 'node:util';
import { isBuiltinPrototype } from './intrinsics';

/**
 * Binary data in a key: its type and its bytes, `Uint8Array(<base64>)`.
 *
 * The bytes of a multi-byte typed array are in the machine's byte order; keys must be the
 * same on every machine, so they are written little-endian whatever the machine (a
 * big-endian one swaps a copy first). Buffer, Uint8Array, DataView and ArrayBuffer are
 * different types with different tags, as they behave differently (`buf.toString()`, a
 * DataView's getters). base64 never contains `)`, so the closing parenthesis ends the value.
 *
 * Only the bytes count: properties added to a typed array are not part of its key (finding
 * them would mean listing every index, which costs more than keying the bytes), the same as
 * structured cloning forgets them.
 */
const BIG_ENDIAN = endianness() === 'BE';

const typedArrayTag = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype),
  Symbol.toStringTag,
)!.get as (this: unknown) => string | undefined;

const byteLengthOf = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!
  .get as (this: ArrayBuffer) => number;

/**
 * The key text of a binary object, `undefined` when `value` is no binary object, or `null`
 * when it is one of a type the key does not accept (a subclass of a typed array).
 */
export function binaryText(value: object, prototype: object | null): string | undefined | null {
  if (ArrayBuffer.isView(value)) {
    if (types.isDataView(value)) {
      if (!isBuiltinPrototype(prototype, 'DataView')) return null;
      return `DataView(${base64(value.buffer, value.byteOffset, value.byteLength)})`;
    }
    const tag = typedArrayTag.call(value)!;
    const isBuffer = Buffer.isBuffer(value) && prototype === Buffer.prototype;
    if (!isBuffer && !isBuiltinPrototype(prototype, tag)) return null;
    const view = value as unknown as { BYTES_PER_ELEMENT: number };
    const text = littleEndianBase64(value, view.BYTES_PER_ELEMENT);
    return `${isBuffer ? 'Buffer' : tag}(${text})`;
  }
  if (types.isArrayBuffer(value)) {
    if (!isBuiltinPrototype(prototype, 'ArrayBuffer')) return null;
    const buffer = value as ArrayBuffer & { resizable?: boolean; maxByteLength?: number };
    const bytes = base64(buffer, 0, byteLengthOf.call(buffer));
    // A resizable buffer can grow up to its maximum: that is part of what it is.
    return buffer.resizable ? `ArrayBuffer(${bytes},${buffer.maxByteLength})` : `ArrayBuffer(${bytes})`;
  }
  if (types.isSharedArrayBuffer(value)) {
    if (!isBuiltinPrototype(prototype, 'SharedArrayBuffer')) return null;
    return `SharedArrayBuffer(${base64(value, 0, value.byteLength)})`;
  }
  return undefined;
}

function base64(buffer: ArrayBufferLike, offset: number, length: number): string {
  return Buffer.from(buffer, offset, length).toString('base64');
}

function littleEndianBase64(view: ArrayBufferView, elementSize: number): string {
  if (!BIG_ENDIAN || elementSize === 1) return base64(view.buffer, view.byteOffset, view.byteLength);
  return swapped(Buffer.from(view.buffer, view.byteOffset, view.byteLength), elementSize).toString('base64');
}

/** A copy of `bytes` with every element of `elementSize` bytes reversed (exported for tests). */
export function swapped(bytes: Buffer, elementSize: number): Buffer {
  const copy = Buffer.from(bytes);
  if (elementSize === 2) copy.swap16();
  else if (elementSize === 4) copy.swap32();
  else if (elementSize === 8) copy.swap64();
  return copy;
}
