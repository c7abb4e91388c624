import type { AutoSyncRule, Clock } from './auto-sync';
import { sameRules } from './auto-sync';
import { type CacheHooks, type CacheKey, HOOK_NAMES } from './hooks';
import { describe, invalidOption, MemoirError } from '../errors';

/** Options of `registerCache` / `registerCustomCache`. */
export interface CacheOptions<K extends CacheKey = CacheKey, V = unknown> extends CacheHooks<K, V> {
  /**
   * Default `true`: contents are loaded on registration and saved (auto-sync, exit flush)
   * through the hooks or to `<cacheDirectory>/<managerName>/<cacheName>`. `false`: the cache
   * lives in memory only and never touches disk; only a `builder` may then be given.
   */
  persistent?: boolean;
  /** Auto-sync thresholds of this cache; `false` saves only when asked (and at exit). Default: the manager's. */
  autoSync?: readonly AutoSyncRule[] | false;
}

/** Options of `new CacheManager(name, options)`; `getCacheManager` uses the defaults. */
export interface CacheManagerOptions {
  /** Base directory; default `defaultCacheDirectory()` ($MEMOIR_CACHE_DIR, XDG, ~/.cache/memoir). */
  cacheDirectory?: string;
  /** Auto-sync thresholds of caches without their own; default DEFAULT_AUTO_SYNC_RULES. */
  autoSync?: readonly AutoSyncRule[] | false;
  /** Time and timers for auto-sync; default the system clock with unref'd timers. */
  clock?: Clock;
  /** Receives problems with no caller to throw to (corrupt file, failed timer save); default process.emitWarning. */
  onWarning?: (warning: Error) => void;
}

/** Just the hooks given in `options` (undefined ones left out, so they do not mask others). */
export function pickHooks(options: CacheOptions<any, any>): CacheHooks<any, any> {
  const picked: Record<string, unknown> = {};
  for (const hook of HOOK_NAMES) if (options[hook] !== undefined) picked[hook] = options[hook];
  return picked;
}

/** Types of the options; hooks other than a builder make no sense on a non-persistent cache. */
export function validateOptions(
  name: string,
  options: CacheOptions<any, any>,
  persistent: boolean,
): void {
  if (typeof persistent !== 'boolean')
    throw invalidOption('persistent', options.persistent, 'true or false');
  for (const hook of HOOK_NAMES) {
    const fn = options[hook];
    if (fn !== undefined && typeof fn !== 'function') throw invalidOption(hook, fn, 'a function');
    if (fn !== undefined && !persistent && hook !== 'builder') {
      throw invalidOption(
        hook,
        fn,
        `no ${hook} on cache "${name}", which is persistent: false (only a builder applies)`,
      );
    }
  }
}

export function conflict(name: string, why: string): MemoirError {
  return new MemoirError('CONFLICTING_REGISTRATION', `Cannot register cache "${name}": ${why}.`);
}

export function notMapLike(name: string): MemoirError {
  return new MemoirError(
    'NOT_SUPPORTED',
    `Cache "${name}" is a memoized function's cache, not a Map-like cache.`,
  );
}

export function unknown(name: string): MemoirError {
  return new MemoirError(
    'UNKNOWN_CACHE',
    `No cache named ${describe(name)} is registered or has dependencies.`,
  );
}

/** Which options of a repeated registration differ from the first one (empty: the same cache). */
export function registrationDifferences(
  first: CacheOptions<any, any>,
  again: CacheOptions<any, any>,
): string[] {
  const differences: string[] = [];
  if ((first.persistent ?? true) !== (again.persistent ?? true)) differences.push('persistent');
  for (const hook of HOOK_NAMES) if (first[hook] !== again[hook]) differences.push(hook);
  if (!sameRules(first.autoSync, again.autoSync)) differences.push('autoSync');
  return differences;
}
