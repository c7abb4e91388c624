import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DIR_MODE, FILE_MODE, tempNameFor } from '../../lib/atomic-file';
import type { Faults } from './faults';
import { encodeFile, encodeFrame, type FileKind, newGeneration, type Op, type Records, stateOp } from './format';
import { withLockAsync, withLockSync } from './lock';
import type { CaughtUp, FileReader } from './reader';
import { applyOp, liveBytes } from './records';
import { emptySnapshot, NO_FILE, type Snapshot, type SnapshotCache } from './snapshots';
import { notifyChange } from './watch';

/**
 * Changing a file: append one frame, then replay up to it to learn its outcome (log.ts).
 *
 * - A file that does not exist yet is created complete (header and first frame) under a
 *   temporary name and hard-linked into place: link fails if another process created it
 *   first, and then the change is appended to theirs.
 * - A file grows until most of it is superseded changes; then it is compacted: under the
 *   file's lock (proper-lockfile), a `seal` frame is appended, the records up to it are
 *   written to a new file, and that file is renamed over the old one. A change appended after
 *   the seal does not count; its writer sees the seal, waits for the lock (so for the rename)
 *   and appends again to the new file. If the compacting process died between seal and
 *   rename, the waiter finds the sealed file still in place and finishes the job itself.
 * - `clear` is the same with no records kept (the file is removed), and an unusable file (bad
 *   header, unreadable) is replaced the same way.
 *
 * The lock is only ever held across synchronous calls, never an await, so a sync caller
 * spinning on it cannot starve an async holder of the same process (see lock.ts).
 */
export interface StoreContext {
  dir: string;
  kind: FileKind;
  reader: FileReader;
  snapshots: SnapshotCache;
  faults: Faults;
  /** Per file: the log size at which to look at compaction again (see maybeCompact). */
  compactCheck: Map<string, number>;
}

/** A change an operation appends; `id` lets its writer find its own frame. */
export type Change = Exclude<Op, { op: 'state' } | { op: 'seal' }>;

const PROCESS_TAG = `${process.pid}.${randomBytes(4).toString('hex')}`;
let sequence = 0;

export function changeId(): string {
  return `${PROCESS_TAG}.${++sequence}`;
}

const MAX_ATTEMPTS = 10_000;
const APPEND_FLAGS = fs.constants.O_RDWR | fs.constants.O_APPEND;
/** Frames above this are written and read back asynchronously on the async path. */
const ASYNC_WRITE_BYTES = 64 * 1024;
/** Files below this are never compacted: rewriting them would cost more than it saves. */
const COMPACT_MIN_BYTES = 64 * 1024;

type Attempt = { done: true; result: unknown } | { done: false };
const AGAIN: Attempt = { done: false };

export function appendSync(context: StoreContext, file: string, change: Change): unknown {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const fd = openForAppend(context, file);
    if (fd === undefined) {
      const created = createFile(context, file, change);
      if (created.done) return created.result;
      continue;
    }
    try {
      const generation = usableGeneration(context, file, fd);
      if (generation === undefined) continue;
      writeFrame(fd, encodeFrame(generation, change));
      const outcome = settle(context, file, fd, context.reader.catchUpSync(file, fd, change.id));
      if (outcome.done) return outcome.result;
    } finally {
      fs.closeSync(fd);
    }
  }
  throw tooManyConflicts(file);
}

/** appendSync's steps, with a large value's write and read-back off the event loop. */
export async function appendAsync(context: StoreContext, file: string, change: Change): Promise<unknown> {
  // A small change is a few µs of page-cache calls: cheaper than any thread-pool round trip.
  if (change.op !== 'write' || change.bytes.length <= ASYNC_WRITE_BYTES) return appendSync(context, file, change);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const fd = openForAppend(context, file);
    if (fd === undefined) {
      const created = createFile(context, file, change);
      if (created.done) return created.result;
      continue;
    }
    try {
      const generation = usableGeneration(context, file, fd);
      if (generation === undefined) continue;
      await writeFrameAsync(fd, encodeFrame(generation, change));
      const outcome = settle(context, file, fd, await context.reader.catchUpAsync(file, fd, change.id));
      if (outcome.done) return outcome.result;
    } finally {
      fs.closeSync(fd);
    }
  }
  throw tooManyConflicts(file);
}

/** Empties a file: under the lock it is sealed and removed. */
export function resetSync(context: StoreContext, file: string): void {
  withLockSync(file, () => replaceLocked(context, file, () => true, true));
}

export function resetAsync(context: StoreContext, file: string): Promise<void> {
  return withLockAsync(file, () => replaceLocked(context, file, () => true, true));
}

/**
 * The generation to salt a frame for the file open as `fd`; undefined when the file is
 * unusable (bad header, truncated), in which case it has been reported and replaced and the
 * caller starts over.
 */
function usableGeneration(context: StoreContext, file: string, fd: number): string | undefined {
  const inspection = context.reader.inspect(fd);
  if (inspection.usable) return inspection.generation;
  context.reader.catchUpSync(file, fd); // reports the bad file (once) before it goes
  withLockSync(file, () => replaceLocked(context, file, sameFileAs(fd), true));
  return undefined;
}

/**
 * What the replay says about the frame just appended: its result, or that it landed after a
 * seal (wait for the compaction to finish, then append again).
 */
function settle(context: StoreContext, file: string, fd: number, caught: CaughtUp): Attempt {
  if (caught.found) {
    notifyChange(context.dir, path.basename(file));
    maybeCompact(context, file, caught.snapshot);
    return { done: true, result: caught.found.result };
  }
  if (!caught.snapshot.sealed) {
    // Our frame is complete and nothing before it can hide it (log.ts): a file changed under
    // us by something other than memoir. Reported like an fs failure; the call goes on uncached.
    throw Object.assign(new Error(`${file} changed outside memoir while a change was appended`), {
      code: 'EIO',
      syscall: 'write',
    });
  }
  withLockSync(file, () => replaceLocked(context, file, sameFileAs(fd), false));
  return AGAIN;
}

/**
 * Compacts once superseded changes outweigh the live records. Checked again only after the
 * log has grown, so that an append does not walk every record each time.
 */
function maybeCompact(context: StoreContext, file: string, snapshot: Snapshot): void {
  if (!snapshot.damaged && snapshot.offset < (context.compactCheck.get(file) ?? COMPACT_MIN_BYTES)) return;
  const live = liveBytes(snapshot.records);
  if (snapshot.damaged || snapshot.offset > 2 * live) {
    const stillThis = (fd: number) => context.reader.inspect(fd).identity === snapshot.identity;
    withLockSync(file, () => replaceLocked(context, file, stillThis, false));
    context.compactCheck.delete(file);
  } else {
    context.compactCheck.set(file, Math.max(2 * live, snapshot.offset + COMPACT_MIN_BYTES / 4));
  }
}

/**
 * Under the file's lock: seals the file (unless it is sealed already) and installs a new file
 * with its records, or none when `reset` or when nothing is left. `stillThis` tells whether
 * the file now at the path is the one the caller meant (it may have been replaced since).
 */
function replaceLocked(context: StoreContext, file: string, stillThis: (fd: number) => boolean, reset: boolean): void {
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
    let records: Records = new Map();
    if (inspection.usable) {
      const before = context.reader.catchUpSync(file, fd).snapshot;
      if (!before.sealed) writeFrame(fd, encodeFrame(inspection.generation, { op: 'seal' }));
      records = context.reader.catchUpSync(file, fd).snapshot.records;
    }
    // Checked again just before the rename: if this hold outlived the lock's stale time and
    // another process finished the job, its new file (and what was appended to it) stays.
    const ino = fs.fstatSync(fd).ino;
    installFile(context, file, reset ? new Map() : records, () => inodeAt(file) === ino);
  } finally {
    fs.closeSync(fd);
  }
}

function inodeAt(file: string): number | undefined {
  try {
    return fs.statSync(file).ino;
  } catch {
    return undefined;
  }
}

/** Creates the file with `change` as its first frame; AGAIN when another process was first. */
function createFile(context: StoreContext, file: string, change: Change): Attempt {
  const records: Records = new Map();
  const result = applyOp(records, change);
  const generation = newGeneration();
  const data = encodeFile(context.kind, generation, encodeFrame(generation, change));
  const mtimeMs = placeFile(context, file, data, 'link');
  if (mtimeMs === undefined) return AGAIN;
  install(context, file, { ...emptySnapshot(`g:${generation}`), records, offset: data.length, mtimeMs });
  return { done: true, result };
}

/**
 * Writes a new file holding `records` (none: removes the file) and installs its snapshot,
 * provided the old file is `stillInPlace` at the last moment.
 */
function installFile(context: StoreContext, file: string, records: Records, stillInPlace: () => boolean): void {
  if (records.size === 0) {
    if (!stillInPlace()) return;
    fs.rmSync(file, { force: true });
    install(context, file, emptySnapshot(NO_FILE));
    return;
  }
  const generation = newGeneration();
  const data = encodeFile(context.kind, generation, encodeFrame(generation, stateOp(records)));
  const mtimeMs = placeFile(context, file, data, stillInPlace);
  if (mtimeMs === undefined) return;
  install(context, file, { ...emptySnapshot(`g:${generation}`), records, offset: data.length, mtimeMs });
}

/**
 * Puts `data` at `file` through a temporary file: 'link' only if no file is there, else by
 * renaming it over the file there if `replace()` still agrees. Returns the new file's mtime,
 * or undefined when it was not put in place.
 */
function placeFile(context: StoreContext, file: string, data: Buffer, replace: 'link' | (() => boolean)): number | undefined {
  const temp = tempNameFor(file);
  try {
    writeTempSync(context.dir, temp, data);
    const { mtimeMs } = fs.statSync(temp);
    if (replace !== 'link') {
      if (!replace()) return undefined;
      fs.renameSync(temp, file);
      return mtimeMs;
    }
    try {
      fs.linkSync(temp, file);
      return mtimeMs;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
      throw error;
    }
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

function install(context: StoreContext, file: string, snapshot: Snapshot): void {
  context.snapshots.set(file, snapshot);
  context.faults.cleared(file);
  notifyChange(context.dir, path.basename(file));
}

/**
 * Opens `file` for appending; undefined when it does not exist. A file that exists but cannot
 * be opened (permissions, a symlink loop) is unusable: it is removed under the lock, and the
 * caller creates a new one.
 */
function openForAppend(context: StoreContext, file: string): number | undefined {
  try {
    return fs.openSync(file, APPEND_FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (!isUnusable(error)) throw error;
    context.reader.loadSync(file); // reports the fault (once) before it is repaired
    withLockSync(file, () => replaceLocked(context, file, () => true, true));
    return undefined;
  }
}

function isUnusable(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === 'EACCES' || code === 'EPERM' || code === 'ELOOP';
}

/** True while the path still leads to the file open as `fd`. */
function sameFileAs(fd: number): (current: number) => boolean {
  const ino = fs.fstatSync(fd).ino;
  return (current) => fs.fstatSync(current).ino === ino;
}

/** One write call per frame: O_APPEND places it whole after every earlier frame. */
function writeFrame(fd: number, frame: Buffer): void {
  const written = fs.writeSync(fd, frame);
  if (written !== frame.length) throw shortWrite(written, frame.length);
}

async function writeFrameAsync(fd: number, frame: Buffer): Promise<void> {
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

/** Writes the temporary file, creating the cache directory (0700) on first use. */
function writeTempSync(dir: string, temp: string, data: Buffer): void {
  try {
    fs.writeFileSync(temp, data, { mode: FILE_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    fs.writeFileSync(temp, data, { mode: FILE_MODE });
  }
}

function tooManyConflicts(file: string): Error {
  return new Error(`Gave up changing ${file} after ${MAX_ATTEMPTS} attempts`);
}
