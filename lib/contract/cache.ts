import type { MemoirEvent } from './events';
import type { NativeStructures, StructureAccess } from './structures';
import type { Duration } from '../units';

/**
 * The key-value cache contract (API.md section 7), in two layers:
 *
 * - `KeyValueCache` is what users call. One implementation (lib/caches/base-cache.ts) gives
 *   every backend the same namespace, serializer, plugin, timeout, lock and getOrSet behaviour.
 * - `CacheStore` is what a backend implements: a handful of atomic primitives on built keys
 *   and stored values. A custom backend implements a store and wraps it in `BaseCache`.
 *
 * `describeCacheContract` (memoir/testing) is the one suite every cache passes.
 */

/** Every command a cache runs, as plugins and `timing()` name them. */
export type CacheCommand =
  | 'get'
  | 'set'
  | 'add'
  | 'multiGet'
  | 'multiSet'
  | 'exists'
  | 'increment'
  | 'expire'
  | 'delete'
  | 'clear'
  | 'raw'
  | 'getOrSet'
  | 'lock'
  | 'optimisticLock';

export interface CommandOptions {
  /** Longest wait for this command; past it the command rejects with `TIMEOUT`. 0: no limit. */
  timeout?: Duration;
}

export interface GetOptions<T> extends CommandOptions {
  /** Returned instead of undefined when the key is missing. */
  default?: T;
}

export interface SetOptions extends CommandOptions {
  /** Time to live of this entry; default the cache's `ttl`; 0 means it never expires. */
  ttl?: Duration;
}

export interface LockOptions {
  /** How long the lock outlives a holder that stops renewing it (a dead one). Default '10s'. */
  lease?: Duration;
  /** Longest wait for the lock; past it `lock` rejects with `TIMEOUT`. Default: no limit. */
  wait?: Duration;
}

export interface GetOrSetOptions extends SetOptions, LockOptions {}

/** A held distributed lock. The lease is renewed in the background while it is held. */
export interface LockHandle extends AsyncDisposable {
  /** The key as the caller named it. */
  readonly key: string;
  /** Releases the lock; false when this handle no longer owned it (released, or its lease lapsed and another holder took it). */
  release(): Promise<boolean>;
  /** Renews the lease now (to `lease` when given); false when the lock is no longer this handle's. */
  extend(lease?: Duration): Promise<boolean>;
}

/** A read that remembers the version it saw. */
export interface OptimisticLock<T = any> {
  /** The value as read; undefined when the key was absent. */
  readonly value: T | undefined;
  /** Stores `value` only if nobody wrote the key since it was read; else rejects with `LOCK_CONFLICT`. */
  cas(value: T, options?: SetOptions): Promise<true>;
}

/** What multiSet takes: `[key, value]` pairs (as an array or a Map) or a plain object by key. */
export type MultiSetEntries = Iterable<readonly [string, unknown]> | ReadonlyArray<readonly unknown[]> | Readonly<Record<string, unknown>>;

/** What every key-value cache offers, on every backend. */
export interface KeyValueCache {
  /** The namespace every key is stored under ('' by default). */
  readonly namespace: string;
  /** The plugins, in registration order (built-ins given by name are instances here). */
  readonly plugins: readonly CachePlugin[];
  /** The value stored under `key`, else `options.default` (undefined). */
  get<T = any>(key: string, options?: GetOptions<T>): Promise<T | undefined>;
  /** Stores `value` (overwriting); resolves true. */
  set(key: string, value: unknown, options?: SetOptions): Promise<true>;
  /** Stores `value` only if `key` is absent, atomically across processes; else rejects with `KEY_EXISTS`. */
  add(key: string, value: unknown, options?: SetOptions): Promise<true>;
  /** Values in the order of `keys`, undefined for missing ones. */
  multiGet<T = any>(keys: readonly string[], options?: CommandOptions): Promise<Array<T | undefined>>;
  /** Stores every entry; resolves true. */
  multiSet(entries: MultiSetEntries, options?: SetOptions): Promise<true>;
  /** Whether `key` holds a live (unexpired) value. */
  exists(key: string, options?: CommandOptions): Promise<boolean>;
  /** Adds `delta` atomically and resolves the new value; a missing key counts from 0; a non-integer value rejects with `NOT_A_NUMBER`. */
  increment(key: string, delta?: number, options?: CommandOptions): Promise<number>;
  /** Gives an existing key a new time to live (0: never expires); false when the key is absent. */
  expire(key: string, ttl: Duration, options?: CommandOptions): Promise<boolean>;
  /** Deletes `key`; resolves how many keys were deleted (0 or 1). */
  delete(key: string, options?: CommandOptions): Promise<number>;
  /** Deletes every key of this cache's namespace and nothing else; resolves true. */
  clear(options?: CommandOptions): Promise<true>;
  /** The backend's own command through memoir's connection, namespace not applied (`UNSUPPORTED` where there is none). */
  raw(command: string, ...args: unknown[]): Promise<unknown>;
  /** The value, or `factory()`'s result stored under `key`: one factory run per key across processes. */
  getOrSet<T>(key: string, factory: () => T | Promise<T>, options?: GetOrSetOptions): Promise<T>;
  /** Waits for and takes a distributed lock on `key` (a lock name; it does not touch the value). */
  lock(key: string, options?: LockOptions): Promise<LockHandle>;
  /** Reads `key` for a later compare-and-set by version (an A-B-A write still conflicts). */
  optimisticLock<T = any>(key: string, options?: CommandOptions): Promise<OptimisticLock<T>>;
  /** Releases what the cache opened (connections, timers); idempotent. */
  close(): Promise<void>;
  /** The default time to live of its entries in ms (undefined: none); the data-structure caches apply it too. */
  readonly ttl?: number | undefined;
  /**
   * Native hashes, sets and sorted sets for the data-structure caches (ValueCache, DictCache, ...),
   * where the backend has them (Redis, memory); undefined elsewhere, where the structures are
   * built on the commands above.
   */
  readonly structures?: StructureAccess | undefined;
}

// ── serializers ──────────────────────────────────────────────────────────────────────────

/** A user-supplied serializer; its output is stored as is (Buffers as bytes, strings as text). */
export interface CacheSerializer {
  serialize(value: unknown): Buffer | string;
  deserialize(raw: Buffer | string): unknown;
  /**
   * What memoized functions' entries record as their serializer (default 'custom'): an entry
   * written by another serializer is a miss, so give two different custom serializers two names.
   */
  readonly name?: string;
}

export type SerializerName = 'v8' | 'json' | 'msgpack' | 'string' | 'none';

// ── plugins ──────────────────────────────────────────────────────────────────────────────

/** What a plugin hook sees. Pre hooks run before the command, post hooks after it succeeded. */
export interface PluginContext {
  cache: KeyValueCache;
  command: CacheCommand;
  /** The key, for single-key commands (as the caller named it, before the namespace). */
  key?: string;
  /** The keys, for multiGet and multiSet. */
  keys?: string[];
  /** The value written (set, add, multiSet's values, increment's delta, cas value). */
  value?: unknown;
  /** The command's result (post hooks only). */
  result?: unknown;
  /** How long the command took, in ms (post hooks only). */
  ms?: number;
  /** get and getOrSet: whether the key held a value (a get answered by `default` did not). */
  hit?: boolean;
}

type Hook = (context: PluginContext) => unknown;
type HookName = `${'pre' | 'post'}${Capitalize<CacheCommand>}`;

/** An object with any of `preGet`, `postGet`, `preSet`, ... for every command. */
export type CachePlugin = { [K in HookName]?: Hook };

export type BuiltinPluginName = 'hitMissRatio' | 'timing';

// ── options ──────────────────────────────────────────────────────────────────────────────

/** Options every key-value cache accepts (backends add their own: cacheDir, redis, sql, ...). */
export interface CacheOptions {
  /** Keys are stored as `namespace:key` ('' by default: `key`). */
  namespace?: string;
  /** Builds the stored key instead of `namespace:key`. */
  keyBuilder?: (key: string, namespace: string) => string;
  /** Default time to live of every entry. Default: entries never expire. */
  ttl?: Duration;
  /** Default 'v8' on persistent backends, 'none' (values as given) on memory. */
  serializer?: SerializerName | CacheSerializer;
  /** Hook objects, or the names of the built-in ones ('hitMissRatio', 'timing'). */
  plugins?: ReadonlyArray<CachePlugin | BuiltinPluginName>;
  /** Default longest wait for every command (each also takes `{ timeout }`). Default '5s'; 0: none. */
  timeout?: Duration;
  /** Time source for ttls and lock leases on backends that keep time themselves (memory, file, mongo); for tests. */
  clock?: () => number;
  /** Where unreadable values and other recovered faults are reported. Default: a process warning, once per key. */
  onEvent?: (event: MemoirEvent) => void;
}

// ── the backend side ─────────────────────────────────────────────────────────────────────

/** What a store holds for a key: a serializer's output, or a raw integer (increment, 'none'). */
export type StoredValue = Buffer | string | number;

/** A store's answer, possibly without a promise (in-process stores answer synchronously). */
export type Awaitable<T> = T | Promise<T>;

/**
 * The primitives a backend implements for one namespace. Keys arrive built (namespace
 * applied); values arrive serialized. Times to live are milliseconds, `undefined` for none.
 * Every primitive is atomic on its own, across processes for shared backends.
 */
export interface CacheStore {
  /** Backend name used in messages ('memory', 'file', ...). */
  readonly backend: string;
  /** True when values are kept in this process as given, so serializer 'none' may hold any value. */
  readonly holdsObjects?: boolean;
  /** True when every value comes back as bytes whatever was written (Redis): 'none' then reads digits as integers and UTF-8 as text. */
  readonly textual?: boolean;
  /** A command that started at `startedAt` (epoch ms) timed out: a store may drop a connection to a server that stopped answering. */
  timedOut?(startedAt: number): void;
  /** The live value of `key`, undefined when missing or expired. */
  get(key: string): Awaitable<unknown>;
  /** Live values of `keys`, in order, in as few round trips as the backend allows. */
  multiGet(keys: readonly string[]): Awaitable<unknown[]>;
  /** Stores `value`, replacing any earlier value and time to live. */
  set(key: string, value: unknown, ttl: number | undefined): Awaitable<void>;
  /** Stores `value` only if `key` has no live value; true when it did. */
  add(key: string, value: unknown, ttl: number | undefined): Awaitable<boolean>;
  /** Stores every entry with the same time to live. */
  multiSet(entries: ReadonlyArray<readonly [string, unknown]>, ttl: number | undefined): Awaitable<void>;
  /** Whether `key` has a live value. */
  exists(key: string): Awaitable<boolean>;
  /** Adds `delta` to an integer value (missing: 0) keeping its time to live; throws `NOT_A_NUMBER` otherwise. */
  increment(key: string, delta: number): Awaitable<number>;
  /** Sets a live key's time to live (`undefined`: never expires); false when the key has no live value. */
  expire(key: string, ttl: number | undefined): Awaitable<boolean>;
  /** Deletes `key`; 1 when it had a live value, else 0. */
  delete(key: string): Awaitable<number>;
  /** Deletes every value of this store's namespace (locks are left alone). */
  clear(): Awaitable<void>;
  /** The backend's own command; absent where there is none. */
  raw?(command: string, args: unknown[]): Promise<unknown>;
  /**
   * The live value (undefined: absent) and an opaque version that changes on every write and is
   * never reused after a delete; a store may also return one for an absent key (a Redis WATCH).
   */
  getVersioned(key: string): Awaitable<{ value: unknown; version: string | undefined }>;
  /** Stores `value` only if nobody wrote the key since `getVersioned` gave `version`; the new version, or undefined when it lost. */
  compareAndSet(key: string, value: unknown, version: string | undefined, ttl: number | undefined): Awaitable<string | undefined>;
  /** Takes lock `name` for `owner` when it is free, expired or already `owner`'s; true when taken. */
  tryLock(name: string, owner: string, lease: number): Awaitable<boolean>;
  /** Extends `owner`'s lock to `lease` from now; false when it is no longer `owner`'s. */
  renewLock(name: string, owner: string, lease: number): Awaitable<boolean>;
  /** Frees `owner`'s lock; false when it was not `owner`'s. */
  unlock(name: string, owner: string): Awaitable<boolean>;
  /** Resolves when lock `name` may have been freed, or after `maxMs` (waiters poll otherwise). */
  waitForUnlock?(name: string, maxMs: number): Promise<void>;
  /**
   * The keys of this namespace's live values, as stored (namespace applied), in no particular
   * order. Memoized functions stored in the cache need it for clearBeingCalculated, deleteStale
   * and keys(); without it those reject with `UNSUPPORTED`.
   */
  keys?(): Awaitable<string[]>;
  /**
   * Replaces the value of `key` with `next` (deletes it when `next` is undefined) only if `key`
   * holds exactly `expected` now (undefined: no live value); true when it did. Optional: a store
   * whose getVersioned is costly (a Redis WATCH needs a connection of its own) offers it as one
   * round trip; elsewhere getVersioned and compareAndSet do the same.
   */
  swap?(key: string, expected: StoredValue | undefined, next: StoredValue | undefined, ttl: number | undefined): Awaitable<boolean>;
  /** Releases connections and timers; idempotent. */
  close(): Awaitable<void>;
  /** Native data structures, one command or script each (see NativeStructures); absent where the backend has none. */
  readonly structures?: NativeStructures;
}

/** Everything a backend is given to build the store of one cache. */
export interface CacheStoreSpec {
  /** The cache's namespace: `clear` covers it and nothing else. */
  namespace: string;
  /** Time source for ttls and leases kept by the store itself (tests inject one). */
  clock: () => number;
  /** The cache's default per-command limit in ms (0: none), e.g. for connecting. */
  timeout: number;
  /** The backend's own options, as given (cacheDir, mongetter, redis, ...). */
  options: Readonly<Record<string, unknown>>;
  /** Where the store reports faults it recovers from. */
  report(event: Omit<MemoirEvent, 'cache'>): void;
}

export type CacheStoreFactory = (spec: CacheStoreSpec) => CacheStore;
