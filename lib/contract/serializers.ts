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
  deserialize: (bytes) => v8.deserialize(bytes),
};

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
