import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Faults } from './faults';
import { type FileIndex, IndexCache } from './file-index';
import type { FileKind } from './format';
import type { StorePlace } from './layout';
import type { LeftoverSweeper } from './leftovers';
import { notifyChange } from './watch';

/** What every way of reading and changing a cache's files works with (reader.ts, append.ts, replace.ts). */
export interface StoreContext {
  dir: string;
  kind: FileKind;
  /** This process's index of each file it has read (file-index.ts). */
  indexes: IndexCache;
  faults: Faults;
  /** Per file: the log size at which to look at compaction again (see maybeCompact). */
  compactCheck: Map<string, number>;
  /** Removes what killed writers left in the directory (temporary files, stale locks). */
  leftovers?: LeftoverSweeper;
}

export function storeContext(dir: string, place: StorePlace, faults: Faults, leftovers?: LeftoverSweeper): StoreContext {
  const { maxFiles, maxBytes } = place.indexBounds;
  return { dir, kind: place.kind, indexes: new IndexCache(maxFiles, maxBytes), faults, compactCheck: new Map(), leftovers };
}

/** Opens an existing file for appending frames (never creates one: see append.ts). */
export const APPEND_FLAGS = fs.constants.O_RDWR | fs.constants.O_APPEND;

/** Installs the index of a file this process just wrote, and wakes its waiters. */
export function install(context: StoreContext, file: string, index: FileIndex): void {
  context.indexes.set(file, index);
  context.faults.cleared(file);
  notifyChange(context.dir, path.basename(file));
}

/** A file that exists but cannot be opened (permissions, a symlink loop): nothing in it is usable. */
export function isUnusable(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === 'EACCES' || code === 'EPERM' || code === 'ELOOP';
}

/** The inode at `file` now, or undefined when there is none. */
export function inodeAt(file: string): number | undefined {
  try {
    return fs.statSync(file).ino;
  } catch {
    return undefined;
  }
}
