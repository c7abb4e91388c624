import { MemoirError } from '../errors';
import type { Core, Mark } from './core';

/**
 * What the CLI needs from a place that holds caches (a cache directory, a mongo collection,
 * a SQL table): enumerate the caches, read their entries without the engine, and run the
 * maintenance operations with per-file progress. The engine never uses this; it exists for operators.
 */

/** What a catalog counts its progress in: data files read, entries removed or written, or requests. */
export type ProgressUnit = 'files' | 'entries' | 'steps';

/** Progress of a multi-step operation: `done` out of `total`, in `unit` (default: files). */
export type ProgressListener = (done: number, total: number, unit?: ProgressUnit) => void;

export interface CacheSummary {
  /** The name to pass to the other commands. */
  name: string;
  /** Directory or `db.collection` the entries live in. */
  location: string;
  /** 'sharded' | 'separate-files' (file caches; both when the layout was switched), 'mongo' or 'sql'. */
  layout: string;
  /** Entries, completed values and bare being-calculated placeholders alike. */
  entries: number;
  /** Entries holding a completed value. */
  completed: number;
  /** File caches: size of the data files on disk; mongo and sql: bytes of the stored values. */
  bytes: number;
  /** Being-calculated marks whose lease has not run out. */
  liveMarks: MarkInfo[];
  /** Marks whose lease ran out (their holder died; the next caller takes them over). */
  deadMarks: number;
  /** Epoch ms of the oldest and newest completed entry; undefined when there is none. */
  oldest?: number;
  newest?: number;
  /** Data files (or documents) that could not be read; their entries are not counted. */
  unreadable: number;
  /**
   * File caches: entries of the cache's directory that memoir did not write (a notes.txt, a
   * FIFO, a symlink, a directory named like a data file). Reported and left alone.
   */
  strays?: StrayInfo[];
}

export interface StrayInfo {
  name: string;
  /** 'file', 'directory', 'symbolic link', 'FIFO', 'socket', 'device' or 'unknown'. */
  type: string;
}

/** A summary with nothing counted yet; catalogs add entries to it as they read them. */
export function emptySummary(name: string, location: string, layout: string): CacheSummary {
  return {
    name,
    location,
    layout,
    entries: 0,
    completed: 0,
    bytes: 0,
    liveMarks: [],
    deadMarks: 0,
    unreadable: 0,
  };
}

export interface MarkInfo extends Mark {
  key: string;
}

export interface EntryInfo {
  key: string;
  /** Epoch ms the value was stored (placeholders: when the mark was taken). */
  time: number;
  completed: boolean;
  /** Bytes of the serialized value (0 for a placeholder). */
  size: number;
  processing?: Mark;
  /** Deserializes the stored value; throws when the bytes cannot be read back. */
  value(): unknown;
}

export interface PrecacheItem {
  key: string;
  value: unknown;
}

export interface Catalog {
  /** Where the caches are, for messages: a directory or `db.collection`. */
  readonly location: string;
  /** Every cache with its counts; `progress` counts the data files read. */
  list(now: number, progress?: ProgressListener): Promise<CacheSummary[]>;
  /** Entries of one cache (only `key`'s when given). Unknown cache: MemoirError UNKNOWN_CACHE. */
  entries(name: string, key?: string, progress?: ProgressListener): Promise<EntryInfo[]>;
  /** Removes every entry; returns how many there were. */
  clear(name: string, progress?: ProgressListener): Promise<number>;
  /** Drops every mark (bare placeholders go too); returns how many marks there were. */
  clearBeingCalculated(name: string, progress?: ProgressListener): Promise<number>;
  /** Removes completed entries stored before `before`; returns how many. */
  prune(name: string, before: number, progress?: ProgressListener): Promise<number>;
  /**
   * Where writers can leave files behind (the file backend): removes the temporary files and
   * locks of killed writers older than the stale-lock time; returns how many.
   */
  removeLeftovers?(name: string): Promise<number>;
  /**
   * Stores completed values as the function would (the cache is created when missing).
   * `separateFiles` picks the layout of a new file cache; an existing cache keeps its own.
   */
  precache(
    name: string,
    items: PrecacheItem[],
    now: number,
    options?: { separateFiles?: boolean },
    progress?: ProgressListener,
  ): Promise<number>;
  close(): Promise<void>;
}

/**
 * A server catalog whose driver errors become MemoirErrors naming the operation and the place
 * (`BACKEND_ERROR`), so the CLI reports "Redis clear on 127.0.0.1:6379 failed: …" rather than a
 * driver's stack. MemoirErrors pass through unless `rewraps` says otherwise.
 */
export function withServerErrors(
  catalog: Catalog,
  server: string,
  rewraps: (error: MemoirError) => boolean = () => false,
): Catalog {
  const { location } = catalog;
  const wrap =
    <A extends unknown[], R>(operation: string, run: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await run(...args);
      } catch (error) {
        if (error instanceof MemoirError && !rewraps(error)) throw error;
        throw new MemoirError(
          'BACKEND_ERROR',
          `${server} ${operation} on ${location} failed: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    };
  return {
    location,
    list: wrap('list', catalog.list),
    entries: wrap('inspect', catalog.entries),
    clear: wrap('clear', catalog.clear),
    clearBeingCalculated: wrap('clear-being-calculated', catalog.clearBeingCalculated),
    prune: wrap('prune', catalog.prune),
    precache: wrap('precache', catalog.precache),
    close: catalog.close,
  };
}

/** Precaches through a core of the function's own, so a value is stored exactly as a call stores it. */
export async function precacheThroughCore(
  core: Core,
  items: PrecacheItem[],
  now: number,
): Promise<number> {
  try {
    for (const { key, value } of items) await core.write(key, value, { time: now });
  } finally {
    await core.close?.();
  }
  return items.length;
}
