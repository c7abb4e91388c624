/**
 * Data-structure caches (API.md section 8): objects that behave like a value, a Map, a Set, a
 * sorted set and a gate, stored in a key-value cache — natively as Redis strings, hashes, sets
 * and sorted sets on Redis (and as JavaScript objects in memory), elsewhere each as one value
 * changed by compare-and-set. See docs/structures.md.
 */
export type { ValueCached, ValueCachedCallOptions, ValueCachedDecorator, ValueCachedMethods, ValueCachedOptions } from './cached';
export { DictCache, type DictEntries } from './dict-cache';
export { SentinelCache } from './sentinel-cache';
export { SetCache } from './set-cache';
export type { KeyPart, KeyParts } from './settings';
export { SortedSetCache } from './sorted-set-cache';
export { Structure, type StructureOptions } from './structure';
export { ValueCache } from './value-cache';
