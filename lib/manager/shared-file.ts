import { dirname } from 'node:path';
import { v8Serializer } from '../contract';
import { MemoirError } from '../errors';
import { ensureDirSync, withLockSync } from '../util';
import type { CacheKey } from './hooks';
import type { PendingChanges } from './journal';
import { clearBefore, latestStamp, mergeChanges } from './merge';
import {
  emptyContents,
  encodeSavedContents,
  readSavedContents,
  readSavedVersion,
  type SavedContents,
  type SavedVersion,
  writeSavedBytes,
} from './persistence';
import type { StampClock } from './stamps';
import { unsavableValue } from './unsavable';

/** How memory must change after a save to match what is now saved (others' changes included). */
export interface Refresh<K, V> {
  /** Keys another process changed since this one last synced, with their saved values. */
  updated: Map<K, V>;
  /** Keys that are no longer saved (deleted, cleared or invalidated by someone). */
  removed: K[];
}

export interface SharedFileSetup {
  cacheName: string;
  /** The file, looked up at each use (`cacheDirectory` may change). */
  file: () => string;
  stamps: StampClock;
  /** Problems no caller can catch: a corrupt file, a value that failed to serialize. */
  report: (problem: unknown) => void;
}

/**
 * One persistent cache's default storage, shared by every process that registers it: a save
 * merges this process's changes into the file under the file's lock (merge.ts), and an
 * invalidation writes a clear that later saves of other processes respect. Remembers which
 * version of the file this process last saw, so a save can tell what others changed since.
 */
export class SharedFile<K extends CacheKey, V> {
  /** The file as this process last read or wrote it (values shared with memory, not copied). */
  private lastSeen: SavedContents<K> | undefined;

  private get synced(): SavedVersion | undefined {
    return this.lastSeen;
  }

  constructor(private readonly setup: SharedFileSetup) {}

  /** The saved contents, or undefined when nothing (usable) is saved. */
  load(): Map<K, V> | undefined {
    const saved = this.read();
    this.lastSeen = saved;
    if (!saved) return undefined;
    const contents = new Map<K, V>();
    for (const [key, entry] of saved.entries) contents.set(key, entry.value as V);
    return contents;
  }

  /**
   * Merges `pending` (values read from `memory`) into the file. Returns how memory must
   * change to match the merged contents. A value that cannot be serialized is reported and
   * left out; the rest is saved. Throws BACKEND_ERROR when the file cannot be written.
   */
  save(pending: PendingChanges<K>, memory: ReadonlyMap<K, V>): Refresh<K, V> {
    const { cacheName, file, report } = this.setup;
    const path = file();
    return this.locked(path, () => {
      const saved = this.current(path) ?? emptyContents<K>();
      // The file was replaced or deleted since this process synced: what it holds in memory
      // may exist nowhere else, so it is written too (where nothing newer is saved).
      const replaced = this.synced === undefined || this.synced.id !== saved.id;
      const next = mergeChanges({
        saved,
        pending,
        held: replaced ? memory.keys() : undefined,
        valueOf: (key) => memory.get(key),
      });
      const { bytes, unsaved } = encodeLeavingOut(next, saved);
      for (const [key, error] of unsaved) report(unsavableValue(cacheName, key, error));
      writeSavedBytes(path, cacheName, bytes);
      const since = replaced ? -1 : (this.synced?.revision ?? -1);
      const refresh = this.refresh(next, memory, since, unsaved);
      this.lastSeen = next;
      return refresh;
    });
  }

  /** Writes a clear stamped `stamp`: every process's changes stamped before it stay out. */
  clear(stamp: number): void {
    const { cacheName, file } = this.setup;
    const path = file();
    this.locked(path, () => {
      const saved = this.current(path) ?? emptyContents<K>();
      const next: SavedContents<K> = {
        ...saved,
        revision: saved.revision + 1,
        entries: new Map(saved.entries),
        deleted: new Map(saved.deleted),
      };
      clearBefore(next, stamp);
      writeSavedBytes(path, cacheName, encodeSavedContents(next));
      this.lastSeen = next;
    });
  }

  /**
   * Runs a read-merge-write under the file's lock (a `<file>.lock` directory beside it), so
   * two processes saving at once each merge into the other's result. Failing to create the
   * directory or to take the lock is a BACKEND_ERROR like failing to write.
   */
  private locked<R>(file: string, critical: () => R): R {
    try {
      ensureDirSync(dirname(file));
      return withLockSync(file, critical);
    } catch (error) {
      if (error instanceof MemoirError) throw error;
      throw new MemoirError(
        'BACKEND_ERROR',
        `Cache "${this.setup.cacheName}": cannot save to ${file} (${(error as Error).message}).`,
        { cause: error },
      );
    }
  }

  /**
   * The saved contents, read under the lock. When the file is still the one this process
   * last read or wrote (same id and revision in its first bytes), what it remembers is used
   * instead of reading and deserializing the whole file: a process saving alone pays only
   * for writing, as it did before saves merged.
   */
  private current(path: string): SavedContents<K> | undefined {
    const seen = this.lastSeen;
    if (seen) {
      const version = readSavedVersion(path);
      if (version && version.id === seen.id && version.revision === seen.revision) return seen;
    }
    // A file that was already unusable when this process loaded it was reported then.
    return this.read(seen !== undefined);
  }

  private read(reportProblem = true): SavedContents<K> | undefined {
    const { contents, problem } = readSavedContents<K>(this.setup.file(), this.setup.cacheName);
    if (problem && reportProblem) this.setup.report(problem);
    if (contents) this.setup.stamps.observe(latestStamp(contents));
    return contents;
  }

  /**
   * Entries written since revision `since` by someone else are taken from the file; keys this
   * process holds that are no longer saved go, except `unsaved` ones (values that could not
   * be serialized stay in memory). Entries this save wrote keep their in-memory objects: no
   * needless copies, and a value's identity does not change under its holder.
   */
  private refresh(
    next: SavedContents<K>,
    memory: ReadonlyMap<K, V>,
    since: number,
    unsaved: ReadonlyMap<K, unknown>,
  ): Refresh<K, V> {
    const updated = new Map<K, V>();
    for (const [key, entry] of next.entries) {
      if (entry.revision === next.revision) continue; // written by this save
      if (entry.revision <= since && memory.has(key)) continue; // unchanged since last sync
      updated.set(key, entry.value as V);
    }
    const removed: K[] = [];
    for (const key of memory.keys()) {
      if (!next.entries.has(key) && !unsaved.has(key)) removed.push(key);
    }
    return { updated, removed };
  }
}

/**
 * The bytes of `next`. When a value this save wrote cannot be serialized (set when it could,
 * mutated since), each of them is tried alone, and those that fail are left out, their keys
 * keeping what was saved before, so one bad value does not cost the others.
 */
function encodeLeavingOut<K>(
  next: SavedContents<K>,
  saved: SavedContents<K>,
): { bytes: Buffer; unsaved: Map<K, unknown> } {
  const unsaved = new Map<K, unknown>();
  try {
    return { bytes: encodeSavedContents(next), unsaved };
  } catch {
    // found below, value by value
  }
  for (const [key, entry] of next.entries) {
    if (entry.revision !== next.revision) continue; // read from the file: it round-trips
    try {
      v8Serializer.serialize(entry.value);
    } catch (error) {
      unsaved.set(key, error);
      const before = saved.entries.get(key);
      if (before) next.entries.set(key, before);
      else next.entries.delete(key);
      const deletedAt = saved.deleted.get(key);
      if (deletedAt !== undefined) next.deleted.set(key, deletedAt);
    }
  }
  return { bytes: encodeSavedContents(next), unsaved };
}
