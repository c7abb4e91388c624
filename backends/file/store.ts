import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Faults } from './faults';
import type { FileKind } from './format';
import type { LeftoverSweeper } from './leftovers';
import type { FileReader } from './reader';
import type { Snapshot, SnapshotCache } from './snapshots';
import { notifyChange } from './watch';

/** What every way of changing a cache's files works with (append.ts, replace.ts). */
export interface StoreContext {
  dir: string;
  kind: FileKind;
  reader: FileReader;
  snapshots: SnapshotCache;
  faults: Faults;
  /** Per file: the log size at which to look at compaction again (see maybeCompact). */
  compactCheck: Map<string, number>;
  /** Removes what killed writers left in the directory (temporary files, stale locks). */
  leftovers?: LeftoverSweeper;
}

/** Opens an existing file for appending frames (never creates one: see append.ts). */
export const APPEND_FLAGS = fs.constants.O_RDWR | fs.constants.O_APPEND;

/** Keeps the snapshot of a file this process just wrote, and wakes its waiters. */
export function install(context: StoreContext, file: string, snapshot: Snapshot): void {
  context.snapshots.set(file, snapshot);
  context.faults.cleared(file);
  notifyChange(context.dir, path.basename(file));
}

/** A file that exists but cannot be opened (permissions, a symlink loop): nothing in it is usable. */
export function isUnusable(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === 'EACCES' || code === 'EPERM' || code === 'ELOOP';
}

/** One write call per frame: O_APPEND places it whole after every earlier frame. */
export function writeFrame(fd: number, frame: Buffer): void {
  const written = fs.writeSync(fd, frame);
  if (written !== frame.length) throw shortWrite(written, frame.length);
}

export async function writeFrameAsync(fd: number, frame: Buffer): Promise<void> {
  const written = await new Promise<number>((resolve, reject) =>
    fs.write(fd, frame, 0, frame.length, null, (error, n) => (error ? reject(error) : resolve(n))),
  );
  if (written !== frame.length) throw shortWrite(written, frame.length);
}

/** Reported like any other fs failure; the torn frame is skipped by every reader. */
function shortWrite(written: number, length: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`short write (${written} of ${length} bytes; disk full?)`), {
    code: 'EIO',
    syscall: 'write',
  });
}
