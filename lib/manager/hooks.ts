import { types } from 'node:util';
import { describe, MemoirError } from '../errors';
import { isPromiseLike } from './serial-queue';

/** Keys of Map-like manager caches: they must survive a save/load round trip unchanged. */
export type CacheKey = string | number;

/** What a loader or builder may return: a Map, or a plain object (its keys are strings). */
export type CacheContents<K extends CacheKey, V> = Map<K, V> | Record<string, V>;

/**
 * Hooks that replace the default on-disk persistence of one cache. Every hook receives the
 * cache name first, so one function can serve many caches.
 */
export interface CacheHooks<K extends CacheKey = CacheKey, V = unknown> {
  /**
   * Receives a snapshot of the contents to persist; may be async (awaited by `save()`). What it
   * returns or resolves to is ignored.
   */
  saver?: (cacheName: string, contents: Map<K, V>) => unknown;
  /** Returns the saved contents, or undefined/null when nothing is saved. Synchronous. */
  loader?: (cacheName: string) => CacheContents<K, V> | undefined | null;
  /** Removes the saved contents (called by invalidation); may be async. Its result is ignored. */
  deleter?: (cacheName: string) => unknown;
  /** Returns false to reject loaded contents (then the builder runs, or the cache starts empty). */
  validator?: (cacheName: string, contents: Map<K, V>) => boolean;
  /** Builds contents for a cache that has nothing (valid) saved. Synchronous. */
  builder?: (cacheName: string) => CacheContents<K, V>;
}

export type HookName = keyof CacheHooks;
export const HOOK_NAMES: readonly HookName[] = [
  'saver',
  'loader',
  'deleter',
  'validator',
  'builder',
];

/**
 * Calls a user hook, turning a throw or a rejection into HOOK_FAILED with the original error
 * as `cause`, so callers can tell "your hook failed" from memoir's own errors.
 */
export function callHook<T>(hook: HookName, cacheName: string, call: () => T): T {
  const fail = (error: unknown) =>
    new MemoirError(
      'HOOK_FAILED',
      `Cache "${cacheName}": the ${hook} hook failed: ${(error as Error)?.message ?? String(error)}`,
      { cause: error },
    );
  let result: T;
  try {
    result = call();
  } catch (error) {
    throw fail(error);
  }
  if (isPromiseLike(result)) {
    return Promise.resolve(result).catch((error) => {
      throw fail(error);
    }) as T;
  }
  return result;
}

/**
 * Normalizes what a loader or builder returned into a fresh Map (undefined when nothing).
 * Anything else than a Map or a plain object is INVALID_CONTENTS: a string or an array
 * would otherwise be spread into nonsense entries.
 */
export function toContentsMap<K extends CacheKey, V>(
  hook: 'loader' | 'builder',
  cacheName: string,
  value: unknown,
): Map<K, V> | undefined {
  if (value === undefined || value === null) return undefined;
  const invalid = (why: string) =>
    new MemoirError(
      'INVALID_CONTENTS',
      `Cache "${cacheName}": the ${hook} returned ${describe(value)}; ${why}.`,
    );
  if (isPromiseLike(value)) {
    throw invalid(
      'loaders and builders must return contents synchronously (a Map or a plain object)',
    );
  }
  let entries: Iterable<[unknown, unknown]>;
  if (types.isMap(value)) {
    entries = value as Map<unknown, unknown>;
  } else if (typeof value === 'object' && isPlainObject(value)) {
    entries = Object.entries(value);
  } else {
    throw invalid('expected a Map, a plain object, or undefined for "nothing saved"');
  }
  const map = new Map<K, V>();
  for (const [key, entryValue] of entries) {
    if (typeof key !== 'string' && typeof key !== 'number') {
      throw invalid(`key ${describe(key)} is not a string or a number`);
    }
    map.set(key as K, entryValue as V);
  }
  return map;
}

/** Realm-independent: an object whose prototype is null or some realm's Object.prototype. */
function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * The contents a cache starts from (or reloads): the loader's (or the default file's)
 * contents if the validator accepts them, else the builder's, else none. `built` tells the
 * caller the contents are new and still need saving.
 */
export function resolveContents<K extends CacheKey, V>(
  cacheName: string,
  hooks: CacheHooks<K, V>,
  defaultLoader: (() => Map<K, V> | undefined) | undefined,
): { contents: Map<K, V> | undefined; built: boolean } {
  const { loader, validator, builder } = hooks;
  let contents = loader
    ? toContentsMap<K, V>(
        'loader',
        cacheName,
        callHook('loader', cacheName, () => loader(cacheName)),
      )
    : defaultLoader?.();
  if (contents && validator) {
    const loaded = contents;
    if (!callHook('validator', cacheName, () => validator(cacheName, loaded))) contents = undefined;
  }
  if (contents || !builder) return { contents, built: false };
  const built = toContentsMap<K, V>(
    'builder',
    cacheName,
    callHook('builder', cacheName, () => builder(cacheName)),
  );
  return { contents: built, built: built !== undefined };
}
