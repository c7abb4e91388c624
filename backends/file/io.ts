import * as fs from 'node:fs';
import { withLockAsync, withLockSync } from './lock';

/**
 * The file core's operations are written once, as generators (reader.ts, append.ts,
 * replace.ts, operations.ts), the way the engine's flow is (lib/engine/drivers.ts). They make the
 * small, fast calls themselves — open, fstat, a read or an append of a few KB, link, rename —
 * and yield the steps below, the ones a caller may have to wait for. Two drivers perform them:
 * `runSync` with synchronous calls (a sync function blocks, as it must), `runAsync` without
 * blocking the event loop: the lock is waited for with timers, large reads and writes go
 * through the thread pool, a directory is listed asynchronously.
 *
 * Small reads and writes stay synchronous on the async path too: each is a page-cache copy of a
 * few µs, while one round trip through the thread pool costs ~50-190 µs, so a hit or a miss
 * could not stay in its few-µs budget otherwise. ASYNC_IO_BYTES is where that stops being true.
 */
export const ASYNC_IO_BYTES = 64 * 1024;

export type Step =
  /** The bytes of the open file `fd` from `from` to `to` (fewer if it ends before). */
  | { io: 'read'; fd: number; from: number; to: number }
  /** One write of `data` (a whole frame, or a whole new file) to `fd`, opened O_APPEND. */
  | { io: 'append'; fd: number; data: Buffer }
  /** `critical()` (synchronous) under the file's cross-process lock; its result. */
  | { io: 'locked'; file: string; critical: () => unknown }
  /** The names in a directory. */
  | { io: 'list'; dir: string };

/** A file-core operation: yields steps, is resumed with their results, returns R. */
export type FileFlow<R> = Generator<Step, R, unknown>;

export function runSync<R>(flow: FileFlow<R>): R {
  let input: unknown;
  let thrown: { error: unknown } | undefined;
  for (;;) {
    const step = thrown ? flow.throw(thrown.error) : flow.next(input);
    thrown = undefined;
    if (step.done) return step.value;
    try {
      input = performSync(step.value);
    } catch (error) {
      thrown = { error };
    }
  }
}

/** Runs synchronously up to the first step that has to wait; a step that need not is not awaited. */
export async function runAsync<R>(flow: FileFlow<R>): Promise<R> {
  let input: unknown;
  let thrown: { error: unknown } | undefined;
  for (;;) {
    const step = thrown ? flow.throw(thrown.error) : flow.next(input);
    thrown = undefined;
    if (step.done) return step.value;
    try {
      const output = performAsync(step.value);
      input = output instanceof Promise ? await output : output;
    } catch (error) {
      thrown = { error };
    }
  }
}

function performSync(step: Step): unknown {
  switch (step.io) {
    case 'read':
      return readRangeSync(step.fd, step.from, step.to);
    case 'append':
      return appendSync(step.fd, step.data);
    case 'locked':
      return withLockSync(step.file, step.critical);
    case 'list':
      return listSync(step.dir);
  }
}

function performAsync(step: Step): unknown {
  switch (step.io) {
    case 'read':
      return step.to - step.from > ASYNC_IO_BYTES ? readRangeAsync(step.fd, step.from, step.to) : readRangeSync(step.fd, step.from, step.to);
    case 'append':
      return step.data.length > ASYNC_IO_BYTES ? appendAsync(step.fd, step.data) : appendSync(step.fd, step.data);
    case 'locked':
      return withLockAsync(step.file, step.critical);
    case 'list':
      return listAsync(step.dir);
  }
}

export function readRangeSync(fd: number, from: number, to: number): Buffer {
  const bytes = Buffer.allocUnsafe(to - from);
  let read = 0;
  while (read < bytes.length) {
    const n = fs.readSync(fd, bytes, read, bytes.length - read, from + read);
    if (n === 0) break;
    read += n;
  }
  return bytes.subarray(0, read);
}

async function readRangeAsync(fd: number, from: number, to: number): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(to - from);
  let read = 0;
  while (read < bytes.length) {
    const n = await new Promise<number>((resolve, reject) =>
      fs.read(fd, bytes, read, bytes.length - read, from + read, (error, count) => (error ? reject(error) : resolve(count))),
    );
    if (n === 0) break;
    read += n;
  }
  return bytes.subarray(0, read);
}

/** One write call: with O_APPEND it lands whole after every earlier write to the file. */
export function appendSync(fd: number, data: Buffer): void {
  const written = fs.writeSync(fd, data);
  if (written !== data.length) throw shortWrite(written, data.length);
}

async function appendAsync(fd: number, data: Buffer): Promise<void> {
  const written = await new Promise<number>((resolve, reject) =>
    fs.write(fd, data, 0, data.length, null, (error, n) => (error ? reject(error) : resolve(n))),
  );
  if (written !== data.length) throw shortWrite(written, data.length);
}

/** Reported like any other fs failure; a torn frame is skipped by every reader. */
function shortWrite(written: number, length: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`short write (${written} of ${length} bytes; disk full?)`), {
    code: 'EIO',
    syscall: 'write',
  });
}

/** A directory that does not exist (yet) has no names. */
function listSync(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function listAsync(dir: string): Promise<string[]> {
  try {
    return await fs.promises.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
