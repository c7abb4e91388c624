import type { StoredRecord } from './format';
import { type Handle, release } from './handles';

/**
 * What this process knows of one data file: its records as of `offset`, kept up to date by
 * replaying what was appended since (reader.ts), in place. One index per file and process,
 * mutated by every replay, so that a change costs what it appends, never a copy of the file's
 * records: a miss costs the same with a thousand entries as with a million.
 *
 * An index belongs to one file (inode and generation); when the path leads to another file (a
 * compaction, a clear, a repair), a new index replaces it and the old one is left to the
 * operations still holding it (an appender replays its own file to learn its outcome).
 * Callers read `records` right away and never across an await.
 */

/** Roughly what a record takes in a compacted file: key, value and per-record overhead. */
function weight(key: string, record: StoredRecord): number {
  return key.length + (record.bytes?.length ?? 0) + 48;
}

/** The records of a file, with their compacted size kept up to date as they change. */
export class RecordMap extends Map<string, StoredRecord> {
  /** What the records take in a compacted file (see `weight`): compare with the log's size. */
  live = 0;

  constructor(records?: Iterable<[string, StoredRecord]>) {
    super();
    if (records) for (const [key, record] of records) this.set(key, record);
  }

  override set(key: string, record: StoredRecord): this {
    const old = super.get(key);
    this.live += weight(key, record) - (old === undefined ? 0 : weight(key, old));
    return super.set(key, record);
  }

  override delete(key: string): boolean {
    const old = super.get(key);
    if (old === undefined) return false;
    this.live -= weight(key, old);
    return super.delete(key);
  }

  override clear(): void {
    this.live = 0;
    super.clear();
  }
}

/** The identity of an absent file. */
export const NO_FILE = 'none';

export class FileIndex {
  records = new RecordMap();
  /** Bytes of the file replayed so far: the next replay starts there. */
  offset = 0;
  /** The file's mtime at that size: same size, other mtime means an edit in place. */
  mtimeMs = -1;
  /** The file met its `seal` frame: it is being replaced, its records are final. */
  sealed = false;
  /** Damage met while replaying; the next change compacts the file without it. */
  damaged = false;
  /** The file, open: checked with one fstat on a hit (handles.ts). */
  handle: Handle | undefined = undefined;
  /**
   * Frames this process appended and has not seen replayed yet, by id, with their results
   * once replayed (by whichever operation of this process replays them first).
   */
  readonly pending = new Map<string, { result: unknown } | undefined>();

  constructor(
    /** 'g:<generation>' for a valid file, NO_FILE, 'x:…' for an unusable one, 'e:…' for an unreadable one. */
    readonly identity: string,
    /**
     * The inode these records were read from (0: none). Only meaningful while this process
     * holds the file open: once every process has closed a removed file, the file system gives
     * its number to the next file it creates, so a file is recognised by `identity` otherwise.
     */
    readonly ino = 0,
    /** The generation that salts the file's frames (usable files only). */
    readonly generation = '',
  ) {}
}

/**
 * The indexes of one cache's files, by path. The sharded layout has 64 files and keeps them all;
 * the one-file-per-entry layout can have millions, so it keeps a bounded working set, least
 * recently used out first, counted in files and in bytes of values.
 */
export class IndexCache {
  private readonly byPath = new Map<string, FileIndex>();
  private readonly bounded: boolean;
  private bytes = 0;

  constructor(
    private readonly maxFiles = Number.POSITIVE_INFINITY,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {
    this.bounded = maxFiles !== Number.POSITIVE_INFINITY || maxBytes !== Number.POSITIVE_INFINITY;
  }

  get(file: string): FileIndex | undefined {
    const index = this.byPath.get(file);
    if (index !== undefined && this.bounded) {
      this.byPath.delete(file);
      this.byPath.set(file, index);
    }
    return index;
  }

  /** Installs `index` for `file`; the index it replaces lets go of its file. */
  set(file: string, index: FileIndex): void {
    const old = this.byPath.get(file);
    if (old === index) return;
    if (old !== undefined) this.drop(file, old);
    this.byPath.set(file, index);
    if (this.bounded) {
      this.bytes += index.records.live;
      this.trim(file);
    }
  }

  /** Forgets `file` if `index` is still its index (the next operation opens the path again). */
  forget(file: string, index: FileIndex): void {
    if (this.byPath.get(file) === index) this.drop(file, index);
  }

  /** Call after `index` (installed for `file`) changed size: keeps the byte bound. */
  resized(file: string, index: FileIndex, before: number): void {
    if (!this.bounded || this.byPath.get(file) !== index) return;
    this.bytes += index.records.live - before;
    this.trim(file);
  }

  clear(): void {
    for (const [file, index] of this.byPath) this.drop(file, index);
  }

  private drop(file: string, index: FileIndex): void {
    this.byPath.delete(file);
    if (this.bounded) this.bytes -= index.records.live;
    release(index.handle);
  }

  private trim(keep: string): void {
    for (const [oldest, index] of this.byPath) {
      if (this.byPath.size <= this.maxFiles && this.bytes <= this.maxBytes) break;
      if (oldest !== keep) this.drop(oldest, index);
    }
  }
}
