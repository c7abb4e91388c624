import * as fs from 'node:fs';
import { MemoirError } from '../../lib/errors';
import { isFsError } from './faults';
import { FileIndex, NO_FILE, RecordMap } from './file-index';
import { encodeFrame, type Op, stateOp } from './format';
import { appendSync, type FileFlow, readRangeSync } from './io';
import { replayFrames } from './log';
import { identityAt, inspect } from './reader';
import { APPEND_FLAGS, inodeAt, install, isUnusable, type StoreContext } from './store';
import { discard, type PreparedFile, prepareFile, removeFile, renamedInto } from './whole-file';

/**
 * Replacing a file under its lock (proper-lockfile): compaction once superseded frames
 * outweigh the records, `clear`, and the repair of an unusable file. A `seal` frame is
 * appended first, so the records as of the seal are final: a change appended after it does
 * not count, and its writer appends it again to the new file once the lock is free (append.ts).
 * If the replacing process died between seal and rename, the next writer finds the sealed
 * file still in place and finishes the job itself.
 *
 * The lock is held for small synchronous work only — a seal, the frames appended since the
 * new file was written, a rename — never across an await: the new file is written before the
 * lock is taken (asynchronously on the async path, see io.ts), and the lock is waited for
 * without blocking on the async path. So a sync and an async caller of one process never
 * wait for each other's lock, and an async caller behind another process's lock keeps its
 * event loop running.
 */

/** Files below this are never compacted: rewriting them would cost more than it saves. */
const COMPACT_MIN_BYTES = 64 * 1024;
const SEAL: Op = { op: 'seal' };

const stateFrame = (records: RecordMap) => (generation: string) => encodeFrame(generation, stateOp(records));

/**
 * Compacts once superseded changes outweigh the live records (kept up to date by the index, so
 * the check costs nothing). A compaction that fails is reported: the change that set it off
 * was appended, and the next one tries again.
 */
export function* maybeCompact(context: StoreContext, file: string, index: FileIndex): FileFlow<void> {
  if (!index.damaged && index.offset < (context.compactCheck.get(file) ?? COMPACT_MIN_BYTES)) return;
  const live = index.records.live;
  if (!index.damaged && index.offset <= 2 * live) {
    context.compactCheck.set(file, Math.max(2 * live, index.offset + COMPACT_MIN_BYTES / 4));
    return;
  }
  context.compactCheck.delete(file);
  try {
    yield* compact(context, file, index);
  } catch (error) {
    // An fs failure, or the lock held by another process for longer than the lock's deadline.
    if (!isFsError(error) && !(error instanceof MemoirError && error.code === 'BACKEND_ERROR')) throw error;
    context.faults.io(file, 'compact', error);
  }
}

/**
 * Compacts `file` from `index`: a new file with its records is written before the lock is
 * taken; under the lock the old file is sealed, the frames appended to it since the index was
 * read are copied into the new file, and the new file is renamed into place.
 */
export function* compact(context: StoreContext, file: string, index: FileIndex): FileFlow<void> {
  if (index.sealed || index.handle === undefined) return; // someone else is replacing it already
  // Inode numbers are compared below only while `index.handle` (pinned by the appender that
  // called this) holds the file open: its number cannot be another file's meanwhile.
  const { ino, generation, identity } = index;
  const from = index.offset;
  if (index.records.size === 0) {
    yield { io: 'locked', file, critical: () => sealAndRemove(context, file, (fd) => fs.fstatSync(fd).ino === ino) };
    return;
  }
  const records = new RecordMap(index.records);
  const prepared = yield* prepareFile(context, file, records, stateFrame(records));
  try {
    const outcome = yield {
      io: 'locked',
      file,
      critical: () => sealAndSwap(context, file, { ino, generation, from }, prepared),
    };
    // The file is sealed, but the prepared one was taken by a sweep: write the records again.
    if (outcome === 'swept') yield* finishSealed(context, file, identity, prepared.records);
  } finally {
    discard(prepared);
  }
}

/**
 * After a writer met a seal: waits for the replacement (the replacer holds the lock until the
 * new file is in place) and, if the sealed file is still there once the lock is free, its
 * replacer died: finishes the job from the sealed file's final records.
 *
 * "Still there" is the sealed file's identity (its random generation), never its inode number:
 * this process may have closed the sealed file already (forget, above), and once every process
 * has, the file system hands that inode number to the next file it creates (ext4 does at once),
 * often the next compaction's. Taking that file for the orphan put the sealed file's final
 * records back over every change made since: compare-and-sets lost across processes, members
 * popped twice.
 */
export function* awaitReplacement(context: StoreContext, file: string, index: FileIndex): FileFlow<void> {
  context.indexes.forget(file, index); // the next attempt opens the path afresh
  if (!index.sealed) return;
  const orphaned = yield { io: 'locked', file, critical: () => identityAt(context.kind, file) === index.identity };
  if (orphaned) yield* finishSealed(context, file, index.identity, new RecordMap(index.records));
}

/** Empties a file: under the lock it is sealed and removed. */
export function* reset(context: StoreContext, file: string): FileFlow<void> {
  yield { io: 'locked', file, critical: () => sealAndRemove(context, file, () => true) };
}

/**
 * Removes an unusable file (the one with `identity`, if given: see reader.ts, inode, size and
 * mtime for an unusable file) so that the next change creates a new one.
 */
export function* repair(context: StoreContext, file: string, identity?: string): FileFlow<void> {
  const stillThis = identity === undefined ? () => true : (fd: number) => inspect(context.kind, fd).identity === identity;
  yield { io: 'locked', file, critical: () => sealAndRemove(context, file, stillThis) };
}

/**
 * Installs a new file with the final `records` of the sealed file `identity`, unless it was
 * replaced meanwhile (told by identity, not inode number: see awaitReplacement).
 */
function* finishSealed(context: StoreContext, file: string, identity: string, records: RecordMap): FileFlow<void> {
  const stillSealed = () => identityAt(context.kind, file) === identity;
  if (records.size === 0) {
    yield { io: 'locked', file, critical: () => (stillSealed() ? removeFile(context, file) : undefined) };
    return;
  }
  const prepared = yield* prepareFile(context, file, records, stateFrame(records));
  try {
    yield { io: 'locked', file, critical: () => (stillSealed() ? renamedInto(context, file, prepared) : false) };
  } finally {
    discard(prepared);
  }
}

/**
 * Under the lock: seals the file the compaction was prepared from (unless it was replaced
 * meanwhile), copies the frames that landed between the prepared records and the seal into the
 * prepared file, and renames it into place. The copied frames keep their bodies (and so their
 * CRCs); only the generation they are salted with changes.
 */
function sealAndSwap(
  context: StoreContext,
  file: string,
  old: { ino: number; generation: string; from: number },
  prepared: PreparedFile,
): 'done' | 'moved' | 'swept' {
  const fd = openExisting(file);
  if (fd === undefined) return 'moved';
  try {
    if (fs.fstatSync(fd).ino !== old.ino) return 'moved';
    appendSync(fd, encodeFrame(old.generation, SEAL));
    const tail = readRangeSync(fd, old.from, fs.fstatSync(fd).size);
    const carried: Array<[number, number]> = [];
    replayFrames(tail, old.from, old.generation, prepared.records, false, { carried });
    if (carried.length > 0) appendSync(prepared.fd, resalted(tail, carried, prepared.generation));
    // If this hold outlived the lock's stale time and another process finished the job, its
    // new file (and what was appended to it) stays.
    if (inodeAt(file) !== old.ino) return 'moved';
    return renamedInto(context, file, prepared) ? 'done' : 'swept';
  } finally {
    fs.closeSync(fd);
  }
}

/** Under the lock: seals the file (if it is usable and `stillThis`) and removes it. */
function sealAndRemove(context: StoreContext, file: string, stillThis: (fd: number) => boolean): void {
  let fd: number;
  try {
    fd = fs.openSync(file, APPEND_FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      install(context, file, new FileIndex(NO_FILE));
      return;
    }
    if (!isUnusable(error)) throw error;
    // Unreadable (permissions, a symlink loop): nothing in it can be used.
    removeFile(context, file);
    return;
  }
  try {
    if (!stillThis(fd)) return;
    const inspection = inspect(context.kind, fd);
    if (inspection.usable) appendSync(fd, encodeFrame(inspection.generation, SEAL));
    if (inodeAt(file) === inspection.stat.ino) removeFile(context, file);
  } finally {
    fs.closeSync(fd);
  }
}

function openExisting(file: string): number | undefined {
  try {
    return fs.openSync(file, APPEND_FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The frames at `spans` of `bytes`, salted with `generation` instead of their old file's (a
 * frame's first 8 bytes, format.ts).
 */
function resalted(bytes: Buffer, spans: Array<[number, number]>, generation: string): Buffer {
  const out = Buffer.allocUnsafe(spans.reduce((sum, [start, end]) => sum + end - start, 0));
  let at = 0;
  for (const [start, end] of spans) {
    out.write(generation, at, 8, 'latin1');
    bytes.copy(out, at + 8, start + 8, end);
    at += end - start;
  }
  return out;
}
