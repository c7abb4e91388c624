import { describe, MemoirError } from '../errors';

/**
 * The error for a value a persistent cache cannot save: at `set` (where it is refused), or at
 * save time for a value that became unserializable after it was set (reported; the other
 * values are saved). Names the cache, the key and the ways out.
 */
export function unsavableValue(cacheName: string, key: unknown, cause: unknown): MemoirError {
  const why = (cause as Error)?.message ?? String(cause);
  return new MemoirError(
    'SERIALIZATION_FAILED',
    `Cache "${cacheName}": the value for key ${describe(key)} cannot be saved (${why}). ` +
      'Persistent caches store values with node:v8: plain data, Date, Map, Set, BigInt, typed ' +
      'arrays, not functions or symbols. Store plain data, register the cache with ' +
      'persistent: false, or give it a saver hook.',
    { cause },
  );
}
