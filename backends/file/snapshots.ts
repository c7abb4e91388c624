import type { Records } from './format';

/**
 * The records of one file as last replayed by this process, tagged with the identity of the
 * file they came from ('g:<generation>' for a valid file, 'none' when there was no file,
 * 'x:...' or 'e:...' for a file that could not be used). Records are replaced, never
 * mutated, so a snapshot can be handed out and kept while a newer one is installed.
 */
export interface Snapshot {
  identity: string;
  records: Records;
  /** Bytes of the file replayed so far: a later read replays only what was appended since. */
  offset: number;
  /** The file's mtime at that size: same size, other mtime means an edit in place. */
  mtimeMs: number;
  /** The file met its `seal` frame: it is being replaced, its records are final. */
  sealed: boolean;
  /** Damage met while replaying; the next change rewrites the file without it. */
  damaged: boolean;
}

export const NO_FILE = 'none';
export const emptySnapshot = (identity = NO_FILE): Snapshot => ({
  identity,
  records: new Map(),
  offset: 0,
  mtimeMs: -1,
  sealed: false,
  damaged: false,
});

/**
 * Keeps snapshots by path, least recently used first out once over `maxFiles` or `maxBytes`
 * of stored values. The sharded layout has a fixed, small number of files and keeps them all;
 * the one-file-per-entry layout can have millions, so it keeps a bounded working set.
 */
export class SnapshotCache {
  private readonly byPath = new Map<string, { snapshot: Snapshot; bytes: number }>();
  private totalBytes = 0;

  constructor(
    private readonly maxFiles = Number.POSITIVE_INFINITY,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  get(file: string): Snapshot | undefined {
    const slot = this.byPath.get(file);
    if (!slot) return undefined;
    if (this.maxFiles !== Number.POSITIVE_INFINITY) {
      this.byPath.delete(file);
      this.byPath.set(file, slot);
    }
    return slot.snapshot;
  }

  set(file: string, snapshot: Snapshot): void {
    this.delete(file);
    let bytes = 0;
    for (const record of snapshot.records.values()) bytes += record.bytes?.length ?? 0;
    this.byPath.set(file, { snapshot, bytes });
    this.totalBytes += bytes;
    for (const [oldest, slot] of this.byPath) {
      if (this.byPath.size <= this.maxFiles && this.totalBytes <= this.maxBytes) break;
      if (oldest === file) continue;
      this.byPath.delete(oldest);
      this.totalBytes -= slot.bytes;
    }
  }

  delete(file: string): void {
    const slot = this.byPath.get(file);
    if (!slot) return;
    this.byPath.delete(file);
    this.totalBytes -= slot.bytes;
  }

  clear(): void {
    this.byPath.clear();
    this.totalBytes = 0;
  }
}
