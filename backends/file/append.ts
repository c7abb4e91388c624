import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type FileIndex, RecordMap } from './file-index';
import { encodeFrame, type Op } from './format';
import { pin, unpin } from './handles';
import type { FileFlow } from './io';
import { adopt, catchUp, inspect, load } from './reader';
import { applyOp } from './records';
import { awaitReplacement, maybeCompact, repair } from './replace';
import { APPEND_FLAGS, isUnusable, type StoreContext } from './store';
import { notifyChange } from './watch';
import { discard, linkedInto, prepareFile } from './whole-file';

/**
 * Changing a file: append frames, then learn their outcome from the replay (log.ts). When
 * nothing landed between this process's last replay and its frames — the usual case — the
 * outcome is the changes applied to the index, and nothing is read back; otherwise the file is
 * replayed from the last replay up to and including its frames. A file that does not
 * exist yet is created complete (header and first frames) and linked into place
 * (whole-file.ts); if another process created it first, the change is appended to theirs. A
 * frame that lands after a seal does not count: the file is being replaced (replace.ts), and
 * the change is appended again to the new file once that is done.
 */

/** A change an operation appends; `id` lets its writer find its own frame. */
export type Change = Exclude<Op, { op: 'state' } | { op: 'seal' }>;

const PROCESS_TAG = `${process.pid}.${randomBytes(4).toString('hex')}`;
let sequence = 0;

export function changeId(): string {
  return `${PROCESS_TAG}.${++sequence}`;
}

const MAX_ATTEMPTS = 10_000;
/** The attempt has to start over: the file was created by someone else first, or replaced. */
const AGAIN = Symbol('again');

/** Appends one change to `file`; its result. */
export function* append(context: StoreContext, file: string, change: Change): FileFlow<unknown> {
  return (yield* appendAll(context, file, [change]))[0];
}

/**
 * Appends `changes` to `file` in one write (so one after the other, with nothing between them);
 * their results. Bulk stores (precache) batch their writes this way.
 */
export function* appendAll(context: StoreContext, file: string, changes: Change[]): FileFlow<unknown[]> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const target = yield* writableIndex(context, file, changes);
    if (target === AGAIN) continue;
    if (Array.isArray(target)) return target; // the changes created the file
    const results = yield* appendTo(context, file, target, changes);
    if (results !== AGAIN) return results;
  }
  throw tooManyConflicts(file);
}

/**
 * The index of `file` with a descriptor open for appending; or the results of `changes` when
 * they created the file; or AGAIN when the file had to be replaced first (sealed, unusable).
 */
function* writableIndex(context: StoreContext, file: string, changes: Change[]): FileFlow<FileIndex | unknown[] | typeof AGAIN> {
  const known = context.indexes.get(file);
  if (known?.handle?.held && known.handle.writable && !known.sealed) return known;
  let fd: number;
  try {
    fd = fs.openSync(file, APPEND_FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return yield* createFile(context, file, changes);
    if (!isUnusable(error)) throw error;
    // It exists but cannot be opened (permissions, a symlink loop): unusable, removed under the lock.
    yield* load(context, file); // reports the fault (once) before it is repaired
    yield* repair(context, file);
    return AGAIN;
  }
  let inspection: ReturnType<typeof inspect>;
  try {
    inspection = inspect(context.kind, fd);
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
  if (!inspection.usable) {
    fs.closeSync(fd);
    yield* load(context, file); // reports the bad file (once) before it goes
    yield* repair(context, file, inspection.identity);
    return AGAIN;
  }
  if (known?.identity === inspection.identity && known.sealed) {
    fs.closeSync(fd);
    yield* awaitReplacement(context, file, known);
    return AGAIN;
  }
  return adopt(context, file, known, fd, inspection, true);
}

/** Appends `changes` to the file `index` holds; their results, or AGAIN when they landed after a seal. */
function* appendTo(context: StoreContext, file: string, index: FileIndex, changes: Change[]): FileFlow<unknown[] | typeof AGAIN> {
  const handle = index.handle!;
  const data = encodeFrames(index.generation, changes);
  for (const change of changes) index.pending.set(change.id, undefined);
  pin(handle);
  try {
    yield { io: 'append', fd: handle.fd, data };
    const stat = fs.fstatSync(handle.fd);
    if (index.pending.get(changes[0].id) === undefined) {
      if (landedRightAfterReplay(index, stat, data.length)) takeOutcome(context, file, index, changes, stat);
      else yield* catchUp(context, file, index, handle, true);
    }
    if (!index.sealed && stat.nlink === 0) {
      // Removed by something other than memoir (memoir seals a file before it removes it): the
      // frames went with it.
      context.indexes.forget(file, index);
      return AGAIN;
    }
    const results: unknown[] = [];
    for (const change of changes) {
      const settled = index.pending.get(change.id);
      if (settled === undefined) break;
      results.push(settled.result);
    }
    if (results.length === changes.length) {
      notifyChange(context.dir, path.basename(file));
      yield* maybeCompact(context, file, index);
      return results;
    }
    if (index.sealed) {
      yield* awaitReplacement(context, file, index);
      return AGAIN;
    }
    // The frames are complete and nothing before them can hide them (log.ts): a file changed
    // under us by something other than memoir. Reported like an fs failure; the call goes on
    // uncached.
    throw Object.assign(new Error(`${file} changed outside memoir while a change was appended`), {
      code: 'EIO',
      syscall: 'write',
    });
  } finally {
    unpin(handle);
    for (const change of changes) index.pending.delete(change.id);
  }
}

/**
 * Whether `data`, just appended to the file `index` holds open, landed right where this
 * process's last replay stopped, with nothing else before or after it yet: the file (`stat`,
 * taken after the append) is exactly `index.offset + data.length` long.
 *
 * Why that is enough: the index is the replay of its file (the inode its descriptor pins) up to
 * `index.offset`, and no further than the bytes that replay read, so no further than the file's
 * length then. memoir only ever appends, one write per batch of frames, and with O_APPEND a
 * write lands whole at the end of the file, after every earlier one: these frames started at or
 * after `index.offset`, and ending at `index.offset + data.length` they started exactly there.
 * So nothing landed in between — no other process's frame, no seal (`sealed` covers one
 * replayed before) — and the replay from `index.offset` would apply these frames, and only
 * them, to these records. A file with no links left was removed: the caller's replay finds out
 * why.
 */
function landedRightAfterReplay(index: FileIndex, stat: fs.Stats, length: number): boolean {
  return stat.nlink > 0 && !index.sealed && stat.size === index.offset + length;
}

/** The replay of `changes` (see landedRightAfterReplay), done on the index without a read. */
function takeOutcome(context: StoreContext, file: string, index: FileIndex, changes: Change[], stat: fs.Stats): void {
  const before = index.records.live;
  for (const change of changes) index.pending.set(change.id, { result: applyOp(index.records, change) });
  index.offset = stat.size;
  index.mtimeMs = stat.mtimeMs;
  context.indexes.resized(file, index, before);
}

/** Creates `file` with `changes` as its first frames; AGAIN when another process was first. */
function* createFile(context: StoreContext, file: string, changes: Change[]): FileFlow<unknown[] | typeof AGAIN> {
  const records = new RecordMap();
  const results = changes.map((change) => applyOp(records, change));
  const prepared = yield* prepareFile(context, file, records, (generation) => encodeFrames(generation, changes));
  try {
    return linkedInto(context, file, prepared) ? results : AGAIN;
  } finally {
    discard(prepared);
  }
}

function encodeFrames(generation: string, changes: Change[]): Buffer {
  if (changes.length === 1) return encodeFrame(generation, changes[0]);
  return Buffer.concat(changes.map((change) => encodeFrame(generation, change)));
}

function tooManyConflicts(file: string): Error {
  return new Error(`Gave up changing ${file} after ${MAX_ATTEMPTS} attempts`);
}
