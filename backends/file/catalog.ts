import * as fs from 'node:fs';
import * as path from 'node:path';
import { safeFileName } from '../../lib/util';
import {
  type CacheSummary,
  type Catalog,
  emptySummary,
  type EntryInfo,
  type ProgressListener,
} from '../../lib/contract';
import { isLive } from '../../lib/contract';
import { MemoirError } from '../../lib/errors';
import { append, appendAll, type Change, changeId } from './append';
import {
  type CacheDirectory,
  entryInfo,
  type LayoutFiles,
  layoutName,
  readCacheDirectory,
  readDataFile,
  straysNotice,
} from './catalog-read';
import { Faults } from './faults';
import { type Layout, separateFilesLayout, shardedLayout } from './layout';
import { runAsync } from './io';
import { removeLeftovers } from './leftovers';
import { load } from './reader';
import { serializedValue } from './records';
import { reset } from './replace';
import { type StoreContext, storeContext } from './store';

/**
 * The caches of one cache directory, for the CLI. Reads go straight to the data files;
 * every change is appended the way the file core appends its own (clear is a locked
 * compaction that keeps nothing), one data file at a time so progress can be reported, and
 * so a CLI run never loses a concurrent writer's entries.
 */
export function openFileCatalog(root: string, warn: (message: string) => void): Catalog {
  const location = path.resolve(root);

  async function allCaches(): Promise<CacheDirectory[]> {
    let names: fs.Dirent[];
    try {
      names = await fs.promises.readdir(location, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw unusableLocation(location, error);
    }
    const caches: CacheDirectory[] = [];
    for (const entry of names.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || !(entry.isDirectory() || entry.isSymbolicLink())) continue;
      const cache = await readCacheDirectory(path.join(location, entry.name));
      if (cache) caches.push(cache);
    }
    return caches;
  }

  /** A cache by its name, or by its directory's name as `list` shows sanitized names. */
  async function find(name: string): Promise<CacheDirectory | undefined> {
    for (const candidate of new Set([safeFileName(name), name])) {
      if (candidate.startsWith('.') || /[/\\]/.test(candidate)) continue;
      const cache = await readCacheDirectory(path.join(location, candidate), { named: true });
      if (cache) return cache;
    }
    return undefined;
  }

  /** The cache `name` (UNKNOWN_CACHE when there is none); its strays are warned about. */
  async function resolve(name: string): Promise<CacheDirectory> {
    const cache = await find(name);
    if (cache) {
      if (cache.strays.length > 0) warn(straysNotice(cache));
      return cache;
    }
    const known = (await allCaches()).map((each) => each.name);
    const hint =
      known.length > 0 ? `known caches: ${known.slice(0, 20).join(', ')}` : 'it holds no caches';
    throw new MemoirError('UNKNOWN_CACHE', `No cache named "${name}" in ${location} (${hint}).`);
  }

  /**
   * One store context per cache directory and layout for the catalog's lifetime: its indexes
   * stay read between calls (a precache in batches replays nothing it wrote itself).
   */
  const contexts = new Map<string, StoreContext>();
  function contextFor(cache: CacheDirectory, layout: Layout): StoreContext {
    const id = `${layout.kind}:${cache.dir}`;
    let context = contexts.get(id);
    if (!context) {
      context = storeContext(cache.dir, layout, new Faults(cache.name, (event) => warn(event.message), false));
      contexts.set(id, context);
    }
    return context;
  }

  /** Runs `each` on every data file of the cache; returns the summed counts. */
  async function eachFile(
    name: string,
    each: (context: StoreContext, file: string) => Promise<number>,
    progress?: ProgressListener,
  ): Promise<number> {
    const cache = await resolve(name);
    const total = cache.layouts.reduce((sum, each) => sum + each.files.length, 0);
    let done = 0;
    let counted = 0;
    progress?.(0, total);
    for (const { layout, files } of cache.layouts) {
      const context = contextFor(cache, layout);
      for (const file of files) {
        counted += await each(context, file);
        progress?.(++done, total);
      }
    }
    return counted;
  }

  /** Appends one change to every data file; its results are the counts. */
  const changeEachFile = (name: string, made: () => Change, progress?: ProgressListener) =>
    eachFile(name, async (context, file) => (await runAsync(append(context, file, made()))) as number, progress);

  return {
    location,

    async list(now, progress) {
      const caches = await allCaches();
      const total = caches.reduce((sum, cache) => sum + fileCount(cache), 0);
      let done = 0;
      progress?.(0, total);
      const summaries: CacheSummary[] = [];
      for (const cache of caches) {
        summaries.push(await summarize(cache, now, () => progress?.(++done, total)));
      }
      return summaries;
    },

    async entries(name, key, progress) {
      const cache = await resolve(name);
      const found: EntryInfo[] = [];
      const chosen = cache.layouts.map(({ layout, files }) => ({
        layout,
        wanted: key === undefined ? files : files.filter((file) => layout.holds(file, key)),
      }));
      const total = chosen.reduce((sum, { wanted }) => sum + wanted.length, 0);
      let done = 0;
      progress?.(0, total);
      for (const { layout, wanted } of chosen) {
        for (const file of wanted) {
          progress?.(++done, total);
          const reading = await readDataFile(file, layout);
          if (!reading.ok) {
            warn(`Cache "${cache.name}": cannot read ${file}: ${reading.problem}`);
            continue;
          }
          for (const [each, record] of reading.records) {
            if (key === undefined || each === key) found.push(entryInfo(each, record));
          }
        }
      }
      return found;
    },

    clear: (name, progress) =>
      eachFile(
        name,
        async (context, file) => {
          // Counted just before the reset: entries a concurrent writer adds meanwhile go too.
          const entries = (await runAsync(load(context, file))).records.size;
          await runAsync(reset(context, file));
          return entries;
        },
        progress,
      ),

    clearBeingCalculated: (name, progress) =>
      changeEachFile(name, () => ({ op: 'dropMarks', id: changeId() }), progress),

    prune: (name, before, progress) =>
      changeEachFile(name, () => ({ op: 'dropStale', id: changeId(), before }), progress),

    async removeLeftovers(name) {
      const cache = await find(name);
      return cache ? removeLeftovers(cache.dir) : 0;
    },

    async precache(name, items, now, options, progress) {
      const existing = await find(name);
      const cache: CacheDirectory = existing ?? {
        name,
        dir: path.join(location, safeFileName(name)),
        layouts: [],
        strays: [],
      };
      const layout = chooseLayout(cache, options?.separateFiles);
      const context = contextFor(cache, layout);
      progress?.(0, items.length, 'entries');
      // Grouped by file and appended in batches: one write of many frames instead of one per entry.
      const byFile = new Map<string, Change[]>();
      let bytes = 0;
      let done = 0;
      const flush = async () => {
        for (const [file, changes] of byFile) {
          await runAsync(appendAll(context, file, changes));
          done += changes.length;
          progress?.(done, items.length, 'entries');
        }
        byFile.clear();
        bytes = 0;
      };
      for (const { key, value } of items) {
        const change: Change = { op: 'write', id: changeId(), key, bytes: serializedValue(name, value), time: now, owner: null };
        const file = layout.fileFor(key);
        const batch = byFile.get(file);
        if (batch) batch.push(change);
        else byFile.set(file, [change]);
        bytes += change.bytes.length + 100;
        if (bytes >= PRECACHE_BATCH_BYTES) await flush();
      }
      await flush();
      return items.length;
    },

    async close() {
      for (const context of contexts.values()) context.indexes.clear();
      contexts.clear();
    },
  };

  function fileCount(cache: CacheDirectory): number {
    return cache.layouts.reduce((sum, { files }) => sum + files.length, 0);
  }

  async function summarize(cache: CacheDirectory, now: number, fileRead: () => void): Promise<CacheSummary> {
    const layouts = cache.layouts.map(({ layout }) => layoutName(layout.kind)).join('+') || 'empty';
    const summary = emptySummary(cache.name, cache.dir, layouts);
    summary.strays = cache.strays.map(({ name, type }) => ({ name, type }));
    for (const { layout, files } of cache.layouts) {
      for (const file of files) {
        fileRead();
        const reading = await readDataFile(file, layout);
        summary.bytes += reading.size;
        if (!reading.ok) {
          summary.unreadable++;
          continue;
        }
        for (const [key, record] of reading.records) {
          summary.entries++;
          if (record.completed) {
            summary.completed++;
            summary.oldest = Math.min(summary.oldest ?? record.time, record.time);
            summary.newest = Math.max(summary.newest ?? record.time, record.time);
          }
          if (isLive(record.mark, now)) summary.liveMarks.push({ key, ...record.mark });
          else if (record.mark) summary.deadMarks++;
        }
      }
    }
    return summary;
  }
}

/** What a precache buffers before it writes: about 4 MB of frames, spread over the files. */
const PRECACHE_BATCH_BYTES = 4 * 1024 * 1024;

/** The cache directory cannot be listed: why, without a stack trace (the CLI shows it). */
function unusableLocation(location: string, error: unknown): MemoirError {
  const code = (error as NodeJS.ErrnoException)?.code;
  const reason =
    code === 'ENOTDIR'
      ? 'it is not a directory'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : ((error as Error)?.message ?? String(error));
  return new MemoirError('BACKEND_ERROR', `Cannot use ${location} as a cache directory: ${reason}.`, { cause: error });
}

/** An existing cache keeps its layout; a new one gets the one asked for (sharded by default). */
function chooseLayout(cache: CacheDirectory, separateFiles: boolean | undefined): Layout {
  const present: LayoutFiles | undefined = cache.layouts[0];
  if (present) {
    const isSeparate = present.layout.kind === 'E';
    if (separateFiles !== undefined && separateFiles !== isSeparate) {
      throw new MemoirError(
        'INVALID_OPTION',
        `Cache "${cache.name}" already uses the ${layoutName(present.layout.kind)} layout; ` +
          'drop --separate-files or clear the cache first.',
      );
    }
    return present.layout;
  }
  return separateFiles ? separateFilesLayout(cache.dir) : shardedLayout(cache.dir);
}
