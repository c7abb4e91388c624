export { type CachedDecorator, cached, type Memoized, type MemoizedMethods, type Promisified } from './cached';
export {
  disableCaching,
  enableCaching,
  type GlobalParams,
  getGlobalParams,
  resetGlobalParams,
  setGlobalParams,
} from './config';
export type { AcquireOutcome, Claim, Core, CoreEvent, CoreFactory, CoreSpec, Entry, Mark, StoreOperations, WriteOptions } from './core';
export { cachedMethodsOf, cacheOf } from './decorator';
export { MemoirError, type MemoirErrorCode } from './errors';
export type { MemoirEvent, MemoirEventType } from './events';
export { defaultKey, type HashFunc, type KeyContext } from './keys';
export { type AutoSyncRule, type Clock, DEFAULT_AUTO_SYNC_RULES } from './auto-sync';
export { defaultCacheDirectory } from './cache-directory';
export type { CacheContents, CacheHooks, CacheKey } from './cache-hooks';
export { ManagedCache } from './managed-cache';
export { CacheManager, type CacheManagerOptions, type CacheOptions, type ExternalCache, getCacheManager } from './manager';
export type { BackendName, CachedOptions, CallOptions, Logger, MongoGetter } from './options';
export { type Serializer, v8Serializer } from './serialize';
export type { CacheStats } from './stats';
export type { Duration, Size } from './units';
