export { type CachedDecorator, cached, type Memoized, type MemoizedMethods, type Promisified } from './cached';
export {
  disableCaching,
  enableCaching,
  getGlobalParams,
  resetGlobalParams,
  setGlobalParams,
} from './config';
export type { AcquireOutcome, Claim, Core, CoreEvent, CoreFactory, CoreSpec, Entry, Mark, StoreOperations, WriteOptions, WriteResult } from './contract';
export { asyncFromSync, CORE_OPERATIONS, canAcquire, coreDefect, isLive, serializeFor } from './contract';
export { cachedMethodsOf, cacheOf } from './decorator';
export { MemoirError, type MemoirErrorCode } from './errors';
export type { MemoirEvent, MemoirEventType } from './contract';
export { defaultKey, type HashFunc, type KeyContext, memoirKey } from './keys';
export { type AutoSyncRule, type Clock, DEFAULT_AUTO_SYNC_RULES } from './manager';
export { defaultCacheDirectory } from './util';
export type { CacheContents, CacheHooks, CacheKey } from './manager';
export { ManagedCache } from './manager';
export { CacheManager, type CacheManagerOptions, type CacheOptions, type ExternalCache, type ExternalRegistrationOptions, getCacheManager } from './manager';
export type { BackendName, CachedOptions, CallOptions, GlobalParams, Logger, MongoGetter, RedisConnection, SqlHandle } from './options';
export { type Serializer, v8Serializer } from './contract';
export { type CacheStats, closeConnections } from './engine';
export type { Duration, Size } from './units';
export type {
  Awaitable,
  BuiltinPluginName,
  CacheCommand,
  CacheOptions as KeyValueCacheOptions,
  CachePlugin,
  CacheSerializer,
  CacheStore,
  CacheStoreFactory,
  CacheStoreSpec,
  CommandOptions,
  GetOptions,
  GetOrSetOptions,
  KeyValueCache,
  LockHandle,
  LockOptions,
  MultiSetEntries,
  NativeStructures,
  OptimisticLock,
  PluginContext,
  SerializerName,
  SetOptions,
  StoredValue,
  StructureAccess,
} from './contract';
// Named, not `export *`: ESM importers of the CommonJS build (and of these sources under tsx) see
// only names the CJS lexer can find.
export {
  type AliasConfig,
  BaseCache,
  type BackendSpec,
  type CacheFactory,
  CacheRegistry,
  type CachesConfig,
  type CommandTiming,
  type CreateCacheOptions,
  caches,
  configFromEnvironment,
  createCache,
  FileCache,
  type FileCacheOptions,
  HitMissRatio,
  hitMissRatio,
  MemoryCache,
  type MemoryCacheOptions,
  MongoCache,
  type MongoCacheOptions,
  parseDsn,
  RedisCache,
  type RedisCacheOptions,
  registerBackend,
  SqlCache,
  type SqlCacheOptions,
  SERIALIZER_NAMES,
  Timing,
  timing,
} from './caches';
export {
  type IdsIndex,
  type IdsProperty,
  type MultiCached,
  type MultiCachedCall,
  type MultiCachedMethods,
  type MultiCachedOptions,
  multiCached,
} from './multi';
export {
  DictCache,
  type DictEntries,
  type KeyPart,
  type KeyParts,
  SentinelCache,
  SetCache,
  SortedSetCache,
  Structure,
  type StructureOptions,
  ValueCache,
  type ValueCached,
  type ValueCachedCallOptions,
  type ValueCachedDecorator,
  type ValueCachedMethods,
  type ValueCachedOptions,
} from './structures';
