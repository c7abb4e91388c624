import type { CacheOptions, KeyValueCache } from '../contract';
import { describe, invalidOption, MemoirError } from '../errors';
import {
  FileCache,
  type FileCacheOptions,
  MemoryCache,
  type MemoryCacheOptions,
  MongoCache,
  type MongoCacheOptions,
  RedisCache,
  type RedisCacheOptions,
  SqlCache,
  type SqlCacheOptions,
} from './classes';

/**
 * Which backends `createCache`, aliases and DSNs can build: the built-in ones and those
 * registered with `registerBackend` (a DSN's scheme names one).
 */
export type CacheFactory = (options: CacheOptions & Record<string, unknown>) => KeyValueCache;

export type CreateCacheOptions =
  | ({ backend?: 'memory' } & MemoryCacheOptions)
  | ({ backend: 'file' } & FileCacheOptions)
  | ({ backend: 'mongo' } & MongoCacheOptions)
  | ({ backend: 'redis' } & RedisCacheOptions)
  | ({ backend: 'sql' } & SqlCacheOptions)
  | ({ backend: string } & CacheOptions & Record<string, unknown>);

const BUILT_IN: Record<string, CacheFactory> = {
  memory: (options) => new MemoryCache(options),
  file: (options) => new FileCache(options),
  mongo: (options) => new MongoCache(options as unknown as MongoCacheOptions),
  redis: (options) => new RedisCache(options as unknown as RedisCacheOptions),
  sql: (options) => new SqlCache(options as unknown as SqlCacheOptions),
};


const registered = new Map<string, CacheFactory>();
const NAME = /^[a-z][a-z0-9+.-]*$/i;

/**
 * Adds a backend usable as `createCache({ backend: name })`, in aliases and as a DSN scheme
 * (`name://...`, whose options then include `url`). The factory builds a key-value cache;
 * wrap a store of your own in `BaseCache` to get every command for free.
 */
export function registerBackend(name: string, factory: CacheFactory): void {
  if (typeof name !== 'string' || !NAME.test(name)) throw invalidOption('name', name, 'a URL scheme such as "myredis" (letters, digits, + . -)');
  if (typeof factory !== 'function') throw invalidOption('factory', factory, 'a function (options) => cache');
  if (name in BUILT_IN) {
    throw new MemoirError('CONFLICTING_REGISTRATION', `Backend "${name}" is built in; register a custom backend under another name.`);
  }
  registered.set(name.toLowerCase(), factory);
}

export function knownBackends(): string[] {
  return [...Object.keys(BUILT_IN), ...registered.keys()];
}

export function factoryOf(backend: unknown): CacheFactory {
  const name = typeof backend === 'string' ? backend.toLowerCase() : backend;
  if (typeof name === 'string') {
    const factory = BUILT_IN[name] ?? registered.get(name);
    if (factory) return factory;
  }
  throw invalidOption('backend', backend, `one of ${knownBackends().map((known) => `'${known}'`).join(', ')}, or a backend added with registerBackend (got ${describe(backend)})`);
}

/** Builds a key-value cache of any backend (default 'memory'). Never connects: the first command does. */
export function createCache(options: CreateCacheOptions = {}): KeyValueCache {
  if (typeof options !== 'object' || options === null) throw invalidOption('options', options, 'an options object');
  return factoryOf(options.backend ?? 'memory')(options as CacheOptions & Record<string, unknown>);
}
