import type { CacheKey } from './hooks';

/** One key's latest unsaved change. */
export interface PendingChange {
  stamp: number;
  deleted: boolean;
}

/** Unsaved changes, as a save hands them to storage. */
export interface PendingChanges<K extends CacheKey> {
  /** Stamp of a `clear()` not yet saved: saved entries stamped before it go. */
  clearStamp?: number;
  /** Per key, the last change made to it (after the clear, if any). */
  changes: Map<K, PendingChange>;
}

/**
 * What changed in a cache since it last saved or loaded, so a save writes those changes into
 * what other processes saved meanwhile, instead of replacing it with this process's view.
 * Only the last change of each key is kept: that is all a merge needs.
 */
export class ChangeJournal<K extends CacheKey> {
  private pending: PendingChanges<K> = { changes: new Map() };

  set(key: K, stamp: number): void {
    this.pending.changes.set(key, { stamp, deleted: false });
  }

  delete(key: K, stamp: number): void {
    this.pending.changes.set(key, { stamp, deleted: true });
  }

  /** Everything before is superseded: the clear is all that remains to save. */
  clear(stamp: number): void {
    this.pending = { clearStamp: stamp, changes: new Map() };
  }

  /** Hands the pending changes to a save and starts a new journal. */
  take(): PendingChanges<K> {
    const taken = this.pending;
    this.pending = { changes: new Map() };
    return taken;
  }

  /** A save failed: its changes are pending again, under any made since. */
  restore(taken: PendingChanges<K>): void {
    const since = this.pending;
    if (since.clearStamp !== undefined) return; // a later clear supersedes what was taken
    const changes = new Map(taken.changes);
    for (const [key, change] of since.changes) changes.set(key, change);
    this.pending = { clearStamp: taken.clearStamp, changes };
  }

  /** Forget everything (the contents were reloaded, or invalidated and that is saved). */
  reset(): void {
    this.pending = { changes: new Map() };
  }
}
