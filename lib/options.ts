import type { CacheSerializer, Core, CoreFactory, KeyValueCache, SerializerName } from './contract';
import type { MemoirEvent } from './contract';
import type { HashFunc } from './keys';
import type { Duration, Size } from './units';

/** Names of the built-in backends. */
export type BackendName = 'memory' | 'file' | 'mongo' | 'redis' | 'sql';

/**
 * What `backend` takes: a built-in name, a core or a core factory, a key-value cache, or the
 * name of a cache alias (`caches`), whose key-value cache then holds the entries.
 */
export type BackendOption = BackendName | Core | CoreFactory | KeyValueCache | (string & {});

/** What `mongetter` may return: a collection of the official driver, or a promise of one. */
// The driver's Collection type is generic and lib/ never imports mongodb, hence `any`.
export type MongoGetter =
  | (() => any)
  | {
      uri: string;
      db: string;
      collection: string;
      /** Passed to `new MongoClient`; memoir sets serverSelectionTimeoutMS to 5000 unless given. */
      clientOptions?: Record<string, unknown>;
    };

/**
 * What the `redis` option takes: a URL (`redis://`, `rediss://`), `{ url, ...clientOptions }`
 * (node-redis `createClient` options), or a client the user already has: a node-redis client or
 * cluster, or an ioredis `Redis` or `Cluster`. lib/ never imports the drivers, hence `object`.
 */
export type RedisConnection = string | ({ url: string } & Record<string, unknown>) | object;

/**
 * What the `sql` option accepts besides a URL: a handle the user already has, recognised by
 * its shape — a `pg` Pool or Client, a `mysql2` pool (callback or promise flavour), or a
 * `better-sqlite3` Database. lib/ never imports the drivers, hence `object`.
 */
export type SqlHandle = object;

/** Where verbose decision paths and warnings go. Defaults to console.debug / console.warn. */
export interface Logger {
  debug(message: string): void;
  warn(message: string): void;
}

/**
 * Options of `cached(fn, options)` and `@cached(options)`. Every field is optional; unset
 * fields follow the global parameters (`setGlobalParams`) at the time of each call.
 */
export interface CachedOptions {
  /** Cache namespace and its name in the cache manager. Default: the function name qualified by its package and module (`my-app/src/users.ts:load`, `…:ClassName.method`), or its position there when anonymous. */
  name?: string;
  /**
   * 'memory', 'file' (default), 'mongo', 'redis', 'sql', a core object implementing the core contract, a `CoreFactory` that builds
   * one from the cache's name, options and `report` channel, or a key-value cache (`createCache`, `caches.get`) or the name of a
   * cache alias, whose cache then holds the entries (a sync function there returns a Promise).
   */
  backend?: BackendOption;
  /** Age after which an entry is stale. Default: never. */
  staleAfter?: Duration;
  /** On a stale entry, return it at once and refresh in the background. Default false. */
  nextTime?: boolean;
  /** Return cached null/undefined results instead of recomputing them. Default false. */
  allowNone?: boolean;
  /** Longest wait for another caller's calculation; 0 waits while that caller is alive. Default 0. */
  waitForCalcTimeout?: Duration;
  /** Lifetime of an unrenewed being-calculated mark. Default '10s'. */
  lease?: Duration;
  /** Key function `(args, context) => string`. Default: the value-based, injective key of docs/keys.md. */
  hashFunc?: HashFunc;
  /** File backend directory. Default `$MEMOIR_CACHE_DIR`, `$XDG_CACHE_HOME/memoir`, `~/.cache/memoir`. */
  cacheDir?: string;
  /** File backend: one file per entry instead of one store per function. Default false. */
  separateFiles?: boolean;
  /** Mongo backend: `() => Collection | Promise<Collection>`, or `{ uri, db, collection }`. */
  mongetter?: MongoGetter;
  /**
   * Redis backend: a URL, `{ url, ...clientOptions }`, or your node-redis / ioredis client (never
   * closed by memoir). Required for 'redis'.
   */
  redis?: RedisConnection;
  /**
   * SQL backend (required for 'sql'): a URL (`postgres://`, `postgresql://`, `mysql://`,
   * `mariadb://`, `sqlite:///abs/path.db`, `sqlite::memory:`) or your own handle (`pg` Pool or
   * Client, `mysql2` pool, `better-sqlite3` Database), which memoir never closes.
   */
  sql?: string | SqlHandle;
  /** SQL backend: the table holding the entries, created if missing. Default 'memoir_entries'. */
  table?: string;
  /** Shared backends (redis, sql, a key-value cache): longest wait for one server command or statement before the call goes on without the cache. Default '5s' (a key-value cache's own `timeout`). */
  timeout?: Duration;
  /**
   * How results are stored: 'v8' (default: the backend's own form), 'json', 'msgpack', 'string', 'none' (as given), or
   * `{ serialize, deserialize }`. Entries record their serializer: one written by another reads as a miss. On a key-value
   * cache backend the default is that cache's serializer.
   */
  serializer?: SerializerName | CacheSerializer;
  /** Delete stale entries in the background. Default false. */
  cleanupStale?: boolean;
  /** At most one stale cleanup per this interval. Default '1d'. */
  cleanupInterval?: Duration;
  /** A result larger than this (serialized) is returned but not stored. Default: no limit. */
  entrySizeLimit?: Size;
  /** Names of caches whose invalidation also clears this function's entries. Default []. */
  dependsOn?: string[];
  /** The CacheManager this function's cache registers in. Default: the default manager. */
  manager?: import('./manager').CacheManager;
  /** Methods: the value that stands for the instance in the key. Default: its own enumerable fields. */
  instanceKey?: (self: any) => unknown;
  /** Methods: every instance shares one set of results (the instance is not part of the key). Default false. */
  shareAcrossInstances?: boolean;
  /** Memory backend: store and return copies so callers may mutate results. Default false. */
  copy?: boolean;
  /**
   * Declares that the function returns a Promise. Native `async` functions are detected;
   * set this for plain functions returning promises, so that a cache hit on the very first
   * call (before memoir has seen a result) is still returned as a Promise.
   */
  async?: boolean;
  /** What a backend failure (server down, unwritable disk) does: 'fallback' runs the function uncached (default), 'throw' rejects. */
  onBackendError?: 'fallback' | 'throw';
  /** Receives every decision and every recovered fault (hit, miss, stale, wait, ...). */
  onEvent?: (event: MemoirEvent) => void;
  /** Where verbose output and warnings go. Default: console. */
  logger?: Logger;
  /** Clock in epoch ms. For tests; default Date.now. */
  clock?: () => number;
}

/** Per-call options of `fn.with(callOptions)`. */
export interface CallOptions {
  /** Neither read nor write the cache. */
  skipCache?: boolean;
  /** Recompute and store, ignoring any cached value. */
  overwriteCache?: boolean;
  /** Effective freshness is the smaller of this and `staleAfter`; negative always recomputes. */
  maxAge?: Duration;
  /** Overrides the function's `staleAfter` for this call. */
  staleAfter?: Duration;
  /** Overrides the function's `nextTime` for this call. */
  nextTime?: boolean;
  /** Overrides the function's `allowNone` for this call. */
  allowNone?: boolean;
  /** Logs the decision path of this call through the logger. */
  verbose?: boolean;
}

/**
 * Global parameters: the defaults for every option a memoized function leaves unset.
 *
 * When they are read: `cachingEnabled` on every call; the others on every call too, through a
 * version number, so a function created before `setGlobalParams` follows the new values from
 * its next call on. The backend and where it stores (`backend`, `cacheDir`, `separateFiles`,
 * `mongetter`, `sql`, `table`, `copy`) are fixed when a function opens its core, at its first use.
 */
export interface GlobalParams
  extends Omit<CachedOptions, 'name' | 'dependsOn' | 'manager' | 'async' | 'instanceKey' | 'shareAcrossInstances'> {
  /** While false, every call runs the function and nothing is read or written. Default true. */
  cachingEnabled: boolean;
}
