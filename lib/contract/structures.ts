/** An answer, possibly without a promise (in-process stores answer synchronously). */
type Awaitable<T> = T | Promise<T>;

/**
 * Native data structures: what a backend that has hashes, sets and sorted sets of its own
 * (Redis; memory, which keeps them as JavaScript objects) offers the data-structure caches
 * (ValueCache, DictCache, SetCache, SortedSetCache), so that each of their operations is one
 * command or one script there. A backend without them leaves `CacheStore.structures` unset,
 * and the structures are built on the key-value commands instead (lib/structures).
 *
 * Keys arrive built (namespace applied). Fields and members are text (the structure layer
 * encodes them); values arrive as the cache's serializer wrote them, or as raw text. `ttl`
 * is the whole structure's new time to live in ms, applied in the same step as the write;
 * `undefined` leaves the structure's expiry as it is. A structure whose last member goes is
 * gone (as on Redis). Every operation is atomic on its own; an operation on a key that holds
 * another kind of value throws `WRONG_TYPE`.
 */
export interface NativeStructures {
  /** The value of a plain key (the cache's `get`). */
  valueGet(key: string): Awaitable<unknown>;
  /** Stores a plain value (the cache's `set`). */
  valueSet(key: string, value: unknown, ttl: number | undefined): Awaitable<void>;
  /** Stores a plain value only if the key is absent (the cache's `add`); true when it did. */
  valueAdd(key: string, value: unknown, ttl: number | undefined): Awaitable<boolean>;
  /** Adds `delta` to an integer (missing: 0) and sets the time to live in the same step; `NOT_A_NUMBER` otherwise. */
  valueIncrement(key: string, delta: number, ttl: number | undefined): Awaitable<number>;

  /** The value of `field`, undefined when absent. */
  hashGet(key: string, field: string): Awaitable<unknown>;
  hashHas(key: string, field: string): Awaitable<boolean>;
  /** Stores the entries (after deleting the whole hash when `replace`); how many fields were new. */
  hashSet(key: string, entries: ReadonlyArray<readonly [string, unknown]>, ttl: number | undefined, replace: boolean): Awaitable<number>;
  /** Deletes `field`; whether it was there. */
  hashDelete(key: string, field: string, ttl: number | undefined): Awaitable<boolean>;
  hashSize(key: string): Awaitable<number>;
  /** Every field and value, in no particular order (one read: a snapshot). */
  hashEntries(key: string): Awaitable<Array<[string, unknown]>>;

  /** Adds the members (after deleting the whole set when `replace`); how many were new. */
  setAdd(key: string, members: readonly string[], ttl: number | undefined, replace: boolean): Awaitable<number>;
  setHas(key: string, member: string): Awaitable<boolean>;
  /** Removes `member`; whether it was there. */
  setDelete(key: string, member: string, ttl: number | undefined): Awaitable<boolean>;
  setSize(key: string): Awaitable<number>;
  /** Every member, in no particular order (one read: a snapshot). */
  setMembers(key: string): Awaitable<string[]>;

  /** Adds or re-scores the members (after deleting the whole set when `replace`); how many were new. */
  zsetAdd(key: string, entries: ReadonlyArray<readonly [number, string]>, ttl: number | undefined, replace: boolean): Awaitable<number>;
  /** The score of `member`, undefined when absent. */
  zsetScore(key: string, member: string): Awaitable<number | undefined>;
  /** Removes `member`; whether it was there. */
  zsetDelete(key: string, member: string, ttl: number | undefined): Awaitable<boolean>;
  /** Removes and returns the lowest (`max`: highest) `[score, member]`: each member goes to exactly one caller. */
  zsetPop(key: string, max: boolean, ttl: number | undefined): Awaitable<[number, string] | undefined>;
  /** `[score, member]` pairs by rank, both ends inclusive, negative ranks from the end (ZRANGE). */
  zsetRange(key: string, start: number, stop: number): Awaitable<Array<[number, string]>>;
  zsetSize(key: string): Awaitable<number>;
}

/**
 * What a key-value cache gives the data-structure caches when its backend has native
 * structures: the operations above plus the cache's own key building, serializer and
 * per-command timeout, so a structure stores exactly what `set` would for the same value.
 */
export interface StructureAccess {
  /** The native operations, on stored keys. */
  readonly native: NativeStructures;
  /** The cache's default time to live in ms (undefined: none). */
  readonly ttl: number | undefined;
  /** The stored key of `key` (namespace applied). */
  keyOf(key: string): string;
  /** A value as the cache's serializer stores it. */
  encode(value: unknown): unknown;
  /** A stored value read back; undefined when absent or unreadable (reported like an unreadable `get`). */
  decode(stored: unknown, storedKey: string): unknown;
  /** Runs native work with the cache's timeout (`TIMEOUT`) and rejects once the cache is closed. */
  run<T>(what: string, work: (native: NativeStructures) => Awaitable<T>): Promise<T>;
}
