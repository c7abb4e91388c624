import type { CacheKey } from './hooks';
import type { PendingChanges } from './journal';
import { type SavedContents, UNKNOWN_STAMP } from './persistence';

/** Tombstones kept at least this many, or as many as there are entries if that is more. */
const MIN_TOMBSTONES = 1_000;

export interface MergeInput<K extends CacheKey> {
  /** What is saved now (other processes' saves included), read under the file's lock. */
  saved: SavedContents<K>;
  /** This process's unsaved changes. */
  pending: PendingChanges<K>;
  /**
   * Keys this process holds beyond its pending changes, to be written where nothing newer
   * is saved: used when the file is not the one this process last synced with (deleted or
   * replaced meanwhile), so its contents are not lost with the file.
   */
  held?: Iterable<K>;
  /** The value of `key` as this process holds it now. */
  valueOf(key: K): unknown;
}

/**
 * Writes one process's changes into what is saved, like a last-writer-wins map:
 *
 * - a clear (or an invalidation, which is a clear written at once) removes every saved entry
 *   and tombstone stamped before it, and every change stamped before it stays out;
 * - a set or delete lands only if it is newer than what is saved for its key (an entry or a
 *   tombstone), so an older change never overwrites a newer one and a deleted key is not
 *   brought back by a process that still held it;
 * - keys that only sit in memory (`held`, stamp unknown) fill only keys that have no history.
 *
 * Tombstones are kept while they can matter: all of those after the last clear, up to
 * max(1,000, entry count), the oldest dropped first. A change older than every kept tombstone
 * of a busy cache may therefore land on a key deleted since; saving within minutes (the
 * auto-sync default) keeps that window far from the limit.
 */
export function mergeChanges<K extends CacheKey>(input: MergeInput<K>): SavedContents<K> {
  const { saved, pending } = input;
  const revision = saved.revision + 1;
  const next: SavedContents<K> = {
    id: saved.id,
    revision,
    clearedAt: saved.clearedAt,
    entries: new Map(saved.entries),
    deleted: new Map(saved.deleted),
  };

  if (pending.clearStamp !== undefined && pending.clearStamp > next.clearedAt) {
    clearBefore(next, pending.clearStamp);
  }

  const savedStampOf = (key: K) =>
    next.entries.get(key)?.stamp ?? next.deleted.get(key) ?? Number.NEGATIVE_INFINITY;
  const lands = (key: K, stamp: number) => stamp > next.clearedAt && stamp > savedStampOf(key);

  for (const [key, change] of pending.changes) {
    if (!lands(key, change.stamp)) continue;
    if (change.deleted) {
      next.entries.delete(key);
      next.deleted.set(key, change.stamp);
      continue;
    }
    next.entries.set(key, { value: input.valueOf(key), stamp: change.stamp, revision });
    next.deleted.delete(key);
  }

  for (const key of input.held ?? []) {
    if (pending.changes.has(key) || !lands(key, UNKNOWN_STAMP)) continue;
    if (next.entries.has(key) || next.deleted.has(key)) continue;
    next.entries.set(key, { value: input.valueOf(key), stamp: UNKNOWN_STAMP, revision });
  }

  pruneTombstones(next);
  return next;
}

/** Contents after a clear or invalidation stamped `stamp`: everything older goes. */
export function clearBefore<K>(contents: SavedContents<K>, stamp: number): void {
  contents.clearedAt = stamp;
  for (const [key, entry] of contents.entries) {
    if (entry.stamp < stamp) contents.entries.delete(key);
  }
  for (const [key, deletedAt] of contents.deleted) {
    if (deletedAt < stamp) contents.deleted.delete(key);
  }
}

function pruneTombstones<K>(contents: SavedContents<K>): void {
  const keep = Math.max(MIN_TOMBSTONES, contents.entries.size);
  if (contents.deleted.size <= keep) return;
  const newestFirst = [...contents.deleted].sort((a, b) => b[1] - a[1]);
  contents.deleted = new Map(newestFirst.slice(0, keep));
}

/** The largest stamp in `contents` (for the stamp clock to move past). */
export function latestStamp<K>(contents: SavedContents<K>): number {
  let latest = contents.clearedAt;
  for (const entry of contents.entries.values()) if (entry.stamp > latest) latest = entry.stamp;
  for (const stamp of contents.deleted.values()) if (stamp > latest) latest = stamp;
  return latest;
}
