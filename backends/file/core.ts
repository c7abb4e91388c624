import * as path from 'node:path';
import { safeFileName } from '../../lib/util';
import { defaultCacheDirectory } from '../../lib/util';
import type { Core, CoreFactory } from '../../lib/contract';
import { invalidOption } from '../../lib/errors';
import { Faults, type Report } from './faults';
import { LeftoverSweeper } from './leftovers';
import { type Layout, separateFilesLayout, shardedLayout } from './layout';
import { asyncOperations, operationFlows, syncOperations } from './operations';
import { storeContext } from './store';
import { type Wait, waitForFile } from './watch';

export interface FileCoreOptions {
  /**
   * Root directory of all file caches. Default: `$MEMOIR_CACHE_DIR`, else
   * `$XDG_CACHE_HOME/memoir`, else `~/.cache/memoir`. Each function gets its own
   * subdirectory, named after the cache (sanitized), created 0700 on first write.
   */
  cacheDir?: string;
  /** One file per entry instead of a sharded store per function. Default false. */
  separateFiles?: boolean;
  /** Where recoverable faults go (corrupt files, unwritable directories). Default: a warning. */
  report?: Report;
  /** Throw recoverable faults as MemoirErrors instead of reporting them. Default false. */
  strict?: boolean;
}

const warn: Report = (event) => process.emitWarning(event.message, { code: 'MEMOIR_FILE_CORE' });

export function createFileCore(name: string, options: FileCoreOptions = {}): Core {
  const root = path.resolve(options.cacheDir ?? defaultCacheDirectory());
  const dir = path.join(root, safeFileName(name));
  const layout: Layout = options.separateFiles ? separateFilesLayout(dir) : shardedLayout(dir);
  const faults = new Faults(name, options.report ?? warn, options.strict ?? false);
  const leftovers = new LeftoverSweeper(dir);
  const context = { name, layout, ...storeContext(dir, layout, faults, leftovers) };
  const flows = operationFlows(context);
  const waits = new Set<Wait>();
  let closed = false;

  return {
    name,
    path: dir,
    sync: syncOperations(context, flows),
    ...asyncOperations(context, flows),

    waitForChange(key, maxMs) {
      if (closed) return Promise.resolve();
      const wait = waitForFile(dir, path.basename(layout.fileFor(key)), maxMs);
      waits.add(wait);
      return wait.promise.finally(() => waits.delete(wait));
    },

    async close() {
      if (!closed) {
        closed = true;
        for (const wait of waits) wait.cancel();
        context.indexes.clear(); // and the files it holds open
      }
      // A sweep started by a write or cleanup finishes before close() resolves.
      await leftovers.idle();
    },
  };
}

/** Builds file cores from `cached` options: `cacheDir`, `separateFiles`, `strict`. */
export const fileCoreFactory: CoreFactory = (spec) => {
  const { cacheDir, separateFiles, strict } = spec.options;
  if (cacheDir !== undefined && (typeof cacheDir !== 'string' || cacheDir === '')) {
    throw invalidOption('cacheDir', cacheDir, 'a non-empty directory path');
  }
  if (separateFiles !== undefined && typeof separateFiles !== 'boolean') {
    throw invalidOption('separateFiles', separateFiles, 'true or false');
  }
  return createFileCore(spec.name, {
    cacheDir,
    separateFiles,
    strict: strict === true,
    report: (event) => spec.report(event),
  });
};
