/**
 * Key-value caches (API.md section 7): one interface over every backend, with serializers,
 * plugins, timeouts, locks, aliases and DSNs. The contract is lib/contract/cache.ts.
 */
export { BaseCache, type BackendSpec } from './base-cache';
export { type CacheFactory, type CreateCacheOptions, createCache, registerBackend } from './backends';
export {
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
export { type AliasConfig, configFromEnvironment, parseDsn } from './dsn';
export { type CommandTiming, HitMissRatio, hitMissRatio, Timing, timing } from './plugins';
export { CacheRegistry, type CachesConfig, caches } from './registry';
export { SERIALIZER_NAMES } from './serializers';
export { checkSerializer } from './serializers';
export { isKeyValueCache, type KvCoreSettings, type KvCoreSource, kvMemoCore, MemoCodec, memoNamespace, serializedCore } from './memo';
