import { type CacheHooks, type CacheKey, callHook, resolveContents } from './hooks';
import { deleteContentsFile, loadContentsFromFile, saveContentsToFile } from './persistence';
import type { CachePersistence } from './managed-cache';

export interface CacheStorageSetup<K extends CacheKey, V> {
  cacheName: string;
  /** The hooks as registered right now: read at each use, since they may be set later. */
  hooks: () => CacheHooks<K, V>;
  /** The default file, read at each use, since `cacheDirectory` may change. */
  file: () => string;
  /** Where a corrupt saved file is reported (it is not an error of the caller). */
  report: (problem: unknown) => void;
}

/** A persistent cache's storage: each registered hook, else the default file for that step. */
export function cacheStorage<K extends CacheKey, V>(
  setup: CacheStorageSetup<K, V>,
): CachePersistence<K, V> {
  const { cacheName: name, hooks, file, report } = setup;
  return {
    save: (contents) => {
      const { saver } = hooks();
      if (saver) return callHook('saver', name, () => saver(name, contents));
      saveContentsToFile(file(), name, contents as Map<unknown, unknown>);
    },
    load: () =>
      resolveContents(name, hooks(), () => {
        const { contents, problem } = loadContentsFromFile(file(), name);
        if (problem) report(problem);
        return contents as Map<K, V> | undefined;
      }),
    remove: () => {
      const { deleter } = hooks();
      if (deleter) return callHook('deleter', name, () => deleter(name));
      deleteContentsFile(file(), name);
    },
  };
}
