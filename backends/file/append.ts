import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeFile, encodeFrame, newGeneration, type Op, type Records } from './format';
import type { CaughtUp } from './reader';
import { applyOp } from './records';
import { maybeCompact, replaceSync, sameFileAs } from './replace';
import { emptySnapshot } from './snapshots';
import { APPEND_FLAGS, install, isUnusable, type StoreContext, writeFrame, writeFrameAsync } from './store';
import { notifyChange } from './watch';
import { linkNewFile } from './whole-file';

/**
 * Changing a file: append one frame, then replay up to it to learn its outcome (log.ts).
 * A file that does not exist yet is created complete (header and first frame) and linked
 * into place (whole-file.ts); if another process created it first, the change is appended to
 * theirs. A frame that lands after a seal does not count: the file is being replaced
 * (replace.ts), and the change is appended again to the new file once that is done.
 */

/** A change an operation appends; `id` lets its writer find its own frame. */
export type Change = Exclude<Op, { op: 'state' } | { op: 'seal' }>;

const PROCESS_TAG = `${process.pid}.${randomBytes(4).toString('hex')}`;
let sequence = 0;

export function changeId(): string {
  return `${PROCESS_TAG}.${++sequence}`;
}

const MAX_ATTEMPTS = 10_000;
/** Frames above this are written and read back asynchronously on the async path. */
const ASYNC_WRITE_BYTES = 64 * 1024;

type Attempt = { done: true; result: unknown } | { done: false };
const AGAIN: Attempt = { done: false };

export function appendSync(context: StoreContext, file: string, change: Change): unknown {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const log = openLog(context, file, change);
    if (log.done !== undefined) {
      if (log.done) return log.result;
      continue;
    }
    try {
      writeFrame(log.fd, encodeFrame(log.generation, change));
      const outcome = settle(context, file, log.fd, context.reader.catchUpSync(file, log.fd, change.id));
      if (outcome.done) return outcome.result;
    } finally {
      fs.closeSync(log.fd);
    }
  }
  throw tooManyConflicts(file);
}

/** appendSync's steps, with a large value's write and read-back off the event loop. */
export async function appendAsync(context: StoreContext, file: string, change: Change): Promise<unknown> {
  // A small change is a few µs of page-cache calls: cheaper than any thread-pool round trip.
  const bytes = change.op === 'write' || change.op === 'kv' ? change.bytes : null;
  if (bytes === null || bytes.length <= ASYNC_WRITE_BYTES) return appendSync(context, file, change);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const log = openLog(context, file, change);
    if (log.done !== undefined) {
      if (log.done) return log.result;
      continue;
    }
    try {
      await writeFrameAsync(log.fd, encodeFrame(log.generation, change));
      const outcome = settle(context, file, log.fd, await context.reader.catchUpAsync(file, log.fd, change.id));
      if (outcome.done) return outcome.result;
    } finally {
      fs.closeSync(log.fd);
    }
  }
  throw tooManyConflicts(file);
}

/**
 * The start of an attempt: the file open for appending, with the generation to salt the frame,
 * or the attempt already over — `change` created the file (done), or the file had to be
 * created by someone else first or replaced (not done: try again).
 */
type OpenLog = { done?: undefined; fd: number; generation: string } | Attempt;

function openLog(context: StoreContext, file: string, change: Change): OpenLog {
  const fd = openForAppend(context, file);
  if (fd === undefined) return createFile(context, file, change);
  let generation: string | undefined;
  try {
    generation = usableGeneration(context, file, fd);
  } finally {
    if (generation === undefined) fs.closeSync(fd);
  }
  return generation === undefined ? AGAIN : { fd, generation };
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
  replaceSync(context, file, sameFileAs(fd), true);
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
  replaceSync(context, file, sameFileAs(fd), false);
  return AGAIN;
}

/** Creates the file with `change` as its first frame; AGAIN when another process was first. */
function createFile(context: StoreContext, file: string, change: Change): Attempt {
  const records: Records = new Map();
  const result = applyOp(records, change);
  const generation = newGeneration();
  const data = encodeFile(context.kind, generation, encodeFrame(generation, change));
  const mtimeMs = linkNewFile(context, file, data);
  if (mtimeMs === undefined) return AGAIN;
  install(context, file, { ...emptySnapshot(`g:${generation}`), records, offset: data.length, mtimeMs });
  return { done: true, result };
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
    replaceSync(context, file, () => true, true);
    return undefined;
  }
}

function tooManyConflicts(file: string): Error {
  return new Error(`Gave up changing ${file} after ${MAX_ATTEMPTS} attempts`);
}
