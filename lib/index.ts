export { type CachedDecorator, cached, type Memoized, type MemoizedMethods, type Promisified } from './cached';
export {
  disableCaching,
  enableCaching,
  getGlobalParams,
  resetGlobalParams,
  setGlobalParams,
} from './config/global-params';
export type { AcquireOutcome, Claim, Core, CoreEvent, CoreFactory, CoreSpec, Entry, Mark, StoreOperations, WriteOptions } from './contract/core';
export { cachedMethodsOf, cacheOf } from './decorator';
export { MemoirError, type MemoirErrorCode } from './errors';
export type { MemoirEvent, MemoirEventType } from './contract/events';
export { defaultKey, type HashFunc, type KeyContext } from './keys/default-key';
export { type AutoSyncRule, type Clock, DEFAULT_AUTO_SYNC_RULES } from './manager/auto-sync';
export { defaultCacheDirectory } from './util/cache-directory';
export type { CacheContents, CacheHooks, CacheKey } from './manager/hooks';
export { ManagedCache } from './manager/managed-cache';
export { CacheManager, type CacheManagerOptions, type CacheOptions, type ExternalCache, getCacheManager } from './manager/manager';
export type { BackendName, CachedOptions, CallOptions, GlobalParams, Logger, MongoGetter } from './options';
export { type Serializer, v8Serializer } from './contract/serializers';
export type { CacheStats } from './engine/stats';
export type { Duration, Size } from './units';
