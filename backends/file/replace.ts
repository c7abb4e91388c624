import * as fs from 'node:fs';
import { encodeFrame, type Records } from './format';
import { withLockAsync, withLockSync } from './lock';
import { liveBytes } from './records';
import { emptySnapshot, type Snapshot } from './snapshots';
import { APPEND_FLAGS, install, isUnusable, type StoreContext, writeFrame } from './store';
import { installFile, type PreparedFile, prepareFile, renameInto } from './whole-file';

/**
 * Replacing a file under its lock (proper-lockfile): compaction once superseded frames
 * outweigh the records, `clear`, and the repair of an unusable file. A `seal` frame is
 * appended first, so the records as of the seal are final: a change appended after it does
 * not count, and its writer appends it again to the new file once the lock is free (append.ts).
 * If the replacing process died between seal and rename, the next writer finds the sealed
 * file still in place and finishes the job itself.
 */

/** Files below this are never compacted: rewriting them would cost more than it saves. */
const COMPACT_MIN_BYTES = 64 * 1024;

/** Takes the file's lock and replaces it (see replaceLocked). */
export function replaceSync(context: StoreContext, file: string, stillThis: (fd: number) => boolean, reset: boolean): void {
  withLockSync(file, () => replaceLocked(context, file, stillThis, reset));
}

/** Empties a file: under the lock it is sealed and removed. */
export function resetSync(context: StoreContext, file: string): void {
  replaceSync(context, file, () => true, true);
}

export function resetAsync(context: StoreContext, file: string): Promise<void> {
  return withLockAsync(file, () => replaceLocked(context, file, () => true, true));
}

/**
 * Compacts once superseded changes outweigh the live records. Checked again only after the
 * log has grown, so that an append does not walk every record each time.
 */
export function maybeCompact(context: StoreContext, file: string, snapshot: Snapshot): void {
  if (!snapshot.damaged && snapshot.offset < (context.compactCheck.get(file) ?? COMPACT_MIN_BYTES)) return;
  const live = liveBytes(snapshot.records);
  if (snapshot.damaged || snapshot.offset > 2 * live) {
    compact(context, file, snapshot);
    context.compactCheck.delete(file);
  } else {
    context.compactCheck.set(file, Math.max(2 * live, snapshot.offset + COMPACT_MIN_BYTES / 4));
  }
}

/**
 * Compacts `file` from its snapshot: the new file is written before the lock is taken, so the
 * lock is held for a seal and a rename only, unless changes were appended since the snapshot
 * (then the records as of the seal are written under the lock, as replaceLocked does).
 */
export function compact(context: StoreContext, file: string, snapshot: Snapshot): void {
  if (snapshot.sealed) return; // someone else is replacing it already
  const stillThis = (fd: number) => context.reader.inspect(fd).identity === snapshot.identity;
  if (snapshot.records.size === 0) {
    replaceSync(context, file, stillThis, false);
    return;
  }
  const early = { prepared: prepareFile(context, file, snapshot.records), from: snapshot.offset };
  try {
    withLockSync(file, () => replaceLocked(context, file, stillThis, false, early));
  } finally {
    fs.rmSync(early.prepared.temp, { force: true });
  }
}

/**
 * Under the file's lock: seals the file (unless it is sealed already) and installs a new file
 * with its records, or none when `reset` or when nothing is left. `stillThis` tells whether
 * the file now at the path is the one the caller meant (it may have been replaced since).
 * `early`: a file prepared from the records at offset `from`, used if nothing came after.
 */
function replaceLocked(
  context: StoreContext,
  file: string,
  stillThis: (fd: number) => boolean,
  reset: boolean,
  early?: { prepared: PreparedFile; from: number },
): void {
  let fd: number;
  try {
    fd = fs.openSync(file, APPEND_FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    if (!isUnusable(error)) throw error;
    // Unreadable (permissions, a symlink loop): nothing in it can be used.
    fs.rmSync(file, { force: true });
    install(context, file, emptySnapshot());
    return;
  }
  try {
    if (!stillThis(fd)) return;
    const inspection = context.reader.inspect(fd);
    // Checked again just before the rename: if this hold outlived the lock's stale time and
    // another process finished the job, its new file (and what was appended to it) stays.
    const ino = inspection.stat.ino;
    const stillInPlace = () => inodeAt(file) === ino;
    if (inspection.usable && early && inspection.stat.size === early.from) {
      // If the seal lands right at the end of the prepared records, nothing came in between
      // and the prepared file is the new one. (Checked after the seal is written: a frame
      // appended between a size check and the seal would otherwise be lost.)
      const seal = encodeFrame(inspection.generation, { op: 'seal' });
      writeFrame(fd, seal);
      if (fs.fstatSync(fd).size === early.from + seal.length) {
        if (!stillInPlace() || renamedInto(context, file, early.prepared)) return;
        // The prepared file is gone: waiting for the lock took long enough for a sweep to
        // take it for a dead writer's (leftovers.ts). The records are written below instead.
      }
      // Otherwise the file is sealed now, and the records as of the seal are written below.
    }
    let records: Records = new Map();
    if (inspection.usable) {
      const before = context.reader.catchUpSync(file, fd).snapshot;
      if (!before.sealed) writeFrame(fd, encodeFrame(inspection.generation, { op: 'seal' }));
      records = context.reader.catchUpSync(file, fd).snapshot.records;
    }
    installFile(context, file, reset ? new Map() : records, stillInPlace);
  } finally {
    fs.closeSync(fd);
  }
}

/** renameInto, or false when the prepared file no longer exists. */
function renamedInto(context: StoreContext, file: string, prepared: PreparedFile): boolean {
  try {
    renameInto(context, file, prepared);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !fs.existsSync(prepared.temp)) return false;
    throw error;
  }
}

function inodeAt(file: string): number | undefined {
  try {
    return fs.statSync(file).ino;
  } catch {
    return undefined;
  }
}

/** True while the path still leads to the file open as `fd`. */
export function sameFileAs(fd: number): (current: number) => boolean {
  const ino = fs.fstatSync(fd).ino;
  return (current) => fs.fstatSync(current).ino === ino;
}
