import { type CacheHooks, type CacheKey, callHook, resolveContents } from './hooks';
import type { PendingChanges } from './journal';
import { deleteContentsFile } from './persistence';
import { isPromiseLike } from './serial-queue';
import { type Refresh, SharedFile } from './shared-file';
import type { StampClock } from './stamps';

/** How a persistent cache reaches its saved contents (hooks, or the shared default file). */
export interface CachePersistence<K extends CacheKey, V> {
  /**
   * True when memoir serializes the values itself (no saver hook): a value it cannot
   * serialize is then refused at `set`. A saver hook decides for itself what it can store.
   */
  serializesValues(): boolean;
  /**
   * Saves. The default file merges `pending` into what every process saved and returns how
   * `memory` must change to match; a saver hook receives a snapshot copy of `memory`.
   */
  save(memory: Map<K, V>, pending: PendingChanges<K>): Refresh<K, V> | void | Promise<void>;
  /** Fresh contents from storage (validated, or built); undefined when there are none. */
  load(): { contents: Map<K, V> | undefined; built: boolean };
  /** Invalidation: the saved contents are gone for every process (a clear stamped `stamp`). */
  remove(stamp: number): void | Promise<void>;
}

export interface CacheStorageSetup<K extends CacheKey, V> {
  cacheName: string;
  /** The hooks as registered right now: read at each use, since they may be set later. */
  hooks: () => CacheHooks<K, V>;
  /** The default file, read at each use, since `cacheDirectory` may change. */
  file: () => string;
  stamps: StampClock;
  /** Where problems with no caller go (a corrupt saved file, a value that failed to save). */
  report: (problem: unknown) => void;
}

/**
 * What a saver or deleter returned, as memoir uses it: nothing, or a promise to wait for. Its
 * value means nothing to memoir (a saver written as `store.set(name, contents)` returns the
 * store), so it must never be mistaken for the default file's merge result.
 */
function completion(result: unknown): void | Promise<void> {
  return isPromiseLike(result) ? Promise.resolve(result).then(() => undefined) : undefined;
}

/** A persistent cache's storage: each registered hook, else the default file for that step. */
export function cacheStorage<K extends CacheKey, V>(
  setup: CacheStorageSetup<K, V>,
): CachePersistence<K, V> {
  const { cacheName: name, hooks } = setup;
  const shared = new SharedFile<K, V>(setup);
  return {
    serializesValues: () => hooks().saver === undefined,
    save: (memory, pending) => {
      const { saver } = hooks();
      if (saver) return completion(callHook('saver', name, () => saver(name, new Map(memory))));
      return shared.save(pending, memory);
    },
    load: () => resolveContents(name, hooks(), () => shared.load()),
    remove: (stamp) => {
      const { deleter } = hooks();
      if (deleter) return completion(callHook('deleter', name, () => deleter(name)));
      shared.clear(stamp);
    },
  };
}

/** `deleteSavedCacheContents`: the registered deleter, else the default file is removed. */
export function discardSaved<K extends CacheKey, V>(
  setup: Pick<CacheStorageSetup<K, V>, 'cacheName' | 'hooks' | 'file'>,
): void | Promise<void> {
  const { cacheName: name, hooks, file } = setup;
  const { deleter } = hooks();
  if (deleter) return completion(callHook('deleter', name, () => deleter(name)));
  deleteContentsFile(file(), name);
}
