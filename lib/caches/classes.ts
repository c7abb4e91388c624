import type { CacheOptions, CacheStoreFactory } from '../contract';
import type { MongoGetter } from '../options';
import { BaseCache, type BackendSpec } from './base-cache';

/**
 * The cache class of each built-in backend. Each is BaseCache over that backend's store; the
 * store module is loaded on construction, never at import, so `lib/` loads no backend (and no
 * driver) that a program does not use. Constructors never connect: connections open on the
 * first command.
 */
const lazy =
  (load: () => CacheStoreFactory): CacheStoreFactory =>
  (spec) =>
    load()(spec);

export const MEMORY_BACKEND: BackendSpec = {
  backend: 'memory',
  options: [],
  serializer: 'none',
  store: lazy(() => require('../../backends/memory/cache').createMemoryStore),
};

export const FILE_BACKEND: BackendSpec = {
  backend: 'file',
  options: ['cacheDir'],
  serializer: 'v8',
  store: lazy(() => require('../../backends/file/cache').createFileStore),
};

export const MONGO_BACKEND: BackendSpec = {
  backend: 'mongo',
  options: ['mongetter'],
  serializer: 'v8',
  store: lazy(() => require('../../backends/mongo/cache').createMongoStore),
};

export const REDIS_BACKEND: BackendSpec = {
  backend: 'redis',
  options: ['redis'],
  serializer: 'v8',
  store: lazy(() => require('../../backends/redis/cache').createRedisStore),
};

export const SQL_BACKEND: BackendSpec = {
  backend: 'sql',
  options: ['sql', 'table'],
  serializer: 'v8',
  store: lazy(() => require('../../backends/sql/kv-store').createSqlStore),
};

export type MemoryCacheOptions = CacheOptions;

export interface FileCacheOptions extends CacheOptions {
  /** Root directory, as for `cached` (default `$MEMOIR_CACHE_DIR`, else the XDG cache dir); entries live in `<cacheDir>/kv/<namespace>/`. */
  cacheDir?: string;
}

export interface MongoCacheOptions extends CacheOptions {
  /** The collection: a function returning it (you own the client), or `{ uri, db, collection }` (memoir opens and closes one). Required. */
  mongetter: MongoGetter | { uri: string; db: string; collection: string };
}

/** A cache in this process's memory; values as given by default (serializer 'none'). */
export class MemoryCache extends BaseCache {
  constructor(options: MemoryCacheOptions = {}) {
    super(MEMORY_BACKEND, options as MemoryCacheOptions & Record<string, unknown>);
  }
}

/** A cache on disk shared by every process that uses the same directory. */
export class FileCache extends BaseCache {
  constructor(options: FileCacheOptions = {}) {
    super(FILE_BACKEND, options as FileCacheOptions & Record<string, unknown>);
  }
}

/** A cache in a MongoDB collection shared by every process and machine that uses it. */
export class MongoCache extends BaseCache {
  constructor(options: MongoCacheOptions) {
    super(MONGO_BACKEND, options as unknown as MongoCacheOptions & Record<string, unknown>);
  }
}

export interface RedisCacheOptions extends CacheOptions {
  /** A URL (`redis://`, `rediss://`), `{ url, ...clientOptions }`, or your node-redis client or cluster, or ioredis `Redis` or `Cluster` (memoir never closes a client it did not create). Required. */
  redis: string | ({ url: string } & Record<string, unknown>) | object;
}

/** A cache in Redis: native commands on `namespace:key`, values as the serializer wrote them. */
export class RedisCache extends BaseCache {
  constructor(options: RedisCacheOptions) {
    super(REDIS_BACKEND, options as unknown as RedisCacheOptions & Record<string, unknown>);
  }
}

export interface SqlCacheOptions extends CacheOptions {
  /** A URL (`postgres://`, `mysql://`/`mariadb://`, `sqlite:///abs/path.db`, `sqlite::memory:`) or your pg Pool/Client, mysql2 pool or better-sqlite3 Database. Required. */
  sql: string | object;
  /** The table of the key-value rows, created if missing. Default `memoir_kv`. */
  table?: string;
}

/** A cache in a SQL table (PostgreSQL, MariaDB/MySQL, SQLite): one row per key, expiry on the database's clock. */
export class SqlCache extends BaseCache {
  constructor(options: SqlCacheOptions) {
    super(SQL_BACKEND, options as unknown as SqlCacheOptions & Record<string, unknown>);
  }
}
