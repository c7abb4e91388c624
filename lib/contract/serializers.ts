import { types } from 'node:util';
import * as v8 from 'node:v8';
import { MemoirError } from '../errors';

/**
 * Turns values into bytes and back. The default is node:v8 (Date, Map, Set, BigInt, typed
 * arrays, Buffers and circular structures survive; nothing executes on load). Users who need
 * class instances revived supply their own.
 */
export interface Serializer {
  serialize(value: unknown): Buffer;
  deserialize(bytes: Buffer): unknown;
}

export const v8Serializer: Serializer = {
  serialize: (value) => v8.serialize(value),
  deserialize: (bytes) => deserializeDetached(bytes),
};

/**
 * `v8.deserialize` hands back Buffers, typed arrays and DataViews as views over the very bytes
 * it was given, whenever their offset happens to be aligned. A backend that keeps those bytes
 * (the file core keeps each file's records in memory, and compacts from them) would then give
 * every hit a window onto its own storage: a caller writing into a returned Buffer would change
 * what the next hit returns, and what the next compaction writes to disk. This deserializer
 * copies the bytes of every view into memory of its own, so a value never shares memory with
 * its serialized form (nor with the value of another hit). Plain ArrayBuffers are copied by V8.
 */
class DetachedDeserializer extends v8.DefaultDeserializer {
  constructor(private readonly input: Uint8Array) {
    super(input);
  }

  _readHostObject(): unknown {
    const view = (v8.DefaultDeserializer.prototype as unknown as HostObjectReader)._readHostObject.call(this);
    // Node copies a view whose offset is misaligned already; only views over the input need it.
    return ArrayBuffer.isView(view) && view.buffer === this.input.buffer ? detachedCopy(view) : view;
  }
}

interface HostObjectReader {
  _readHostObject(this: v8.Deserializer): unknown;
}

/** A view of the same type and contents over memory of its own (not zero-filled first). */
function detachedCopy(view: ArrayBufferView): ArrayBufferView {
  const copy = Buffer.allocUnsafeSlow(view.byteLength);
  copy.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  if (Buffer.isBuffer(view)) return copy;
  // Not `instanceof`: values come from the main realm, which is not ours inside vm sandboxes (jest).
  if (types.isDataView(view)) return new DataView(copy.buffer, 0, view.byteLength);
  const TypedArray = view.constructor as new (buffer: ArrayBufferLike, offset: number, length: number) => ArrayBufferView;
  const elementSize = (view as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  return new TypedArray(copy.buffer, 0, view.byteLength / elementSize);
}

/** `v8.deserialize`, with every Buffer, typed array and DataView in memory of its own. */
export function deserializeDetached(bytes: Uint8Array): unknown {
  const deserializer = new DetachedDeserializer(bytes);
  deserializer.readHeader();
  return deserializer.readValue();
}

/** Serializes with a MemoirError that names the cache instead of v8's bare DataCloneError. */
export function serializeFor(cache: string, value: unknown, serializer = v8Serializer): Buffer {
  try {
    return serializer.serialize(value);
  } catch (error) {
    throw new MemoirError(
      'SERIALIZATION_FAILED',
      `Cache "${cache}": the result cannot be serialized (${(error as Error).message}). ` +
        'Return plain data (no functions or symbols), or pass a `serializer` option.',
      { cause: error },
    );
  }
}
