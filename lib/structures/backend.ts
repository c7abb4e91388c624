import type { KeyValueCache } from '../contract';

/**
 * What the structure classes run on: the operations of NativeStructures on a cache's keys as
 * the caller names them, with values as the caller sees them (serialized or raw, read back)
 * and fields and members as text (members.ts). Two implementations: native (the cache's
 * backend has hashes, sets and sorted sets: Redis, memory) and generic (every other cache, on
 * its key-value commands: one stored value per structure, changed by compare-and-set).
 *
 * `ttl` is the structure's time to live in ms, refreshed by every write; undefined: the cache's
 * own default ttl applies, as to any entry.
 */
export interface StructureBackend {
  valueGet(key: string): Promise<unknown>;
  valueSet(key: string, value: unknown, ttl: number | undefined): Promise<void>;
  valueIncrement(key: string, delta: number, ttl: number | undefined): Promise<number>;
  /** Deletes the whole structure; whether it existed. */
  delete(key: string): Promise<boolean>;
  exists(key: string): Promise<boolean>;
  /** Stores a mark only if the key is absent: true for exactly one caller. */
  claim(key: string, ttl: number | undefined): Promise<boolean>;

  hashGet(key: string, field: string): Promise<unknown>;
  hashHas(key: string, field: string): Promise<boolean>;
  hashSet(key: string, entries: ReadonlyArray<readonly [string, unknown]>, ttl: number | undefined, replace: boolean): Promise<number>;
  hashDelete(key: string, field: string, ttl: number | undefined): Promise<boolean>;
  hashSize(key: string): Promise<number>;
  hashEntries(key: string): Promise<Array<[string, unknown]>>;

  setAdd(key: string, members: readonly string[], ttl: number | undefined, replace: boolean): Promise<number>;
  setHas(key: string, member: string): Promise<boolean>;
  setDelete(key: string, member: string, ttl: number | undefined): Promise<boolean>;
  setSize(key: string): Promise<number>;
  setMembers(key: string): Promise<string[]>;

  zsetAdd(key: string, entries: ReadonlyArray<readonly [number, string]>, ttl: number | undefined, replace: boolean): Promise<number>;
  zsetScore(key: string, member: string): Promise<number | undefined>;
  zsetDelete(key: string, member: string, ttl: number | undefined): Promise<boolean>;
  zsetPop(key: string, max: boolean, ttl: number | undefined): Promise<[number, string] | undefined>;
  zsetRange(key: string, start: number, stop: number): Promise<Array<[number, string]>>;
  zsetSize(key: string): Promise<number>;
}

/** Stores a mark only if absent; KEY_EXISTS means someone else holds it. */
export async function claimOn(cache: KeyValueCache, key: string, ttl: number | undefined): Promise<boolean> {
  try {
    return await cache.add(key, 1, { ttl });
  } catch (error) {
    if ((error as { code?: string })?.code === 'KEY_EXISTS') return false;
    throw error;
  }
}
