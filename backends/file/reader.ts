import * as fs from 'node:fs';
import { readOpenFile } from '../../lib/util';
import { isFsError } from './faults';
import { FileIndex, NO_FILE } from './file-index';
import { type FileKind, HEADER_SIZE, readHeader } from './format';
import { type Handle, hold, pin, release, touch, unpin } from './handles';
import type { FileFlow } from './io';
import { replayFrames } from './log';
import { APPEND_FLAGS, isUnusable, type StoreContext } from './store';

/**
 * Reading files into their indexes (file-index.ts), replaying only what was appended since the
 * last read.
 *
 * A hit on a file this process holds open (handles.ts) costs one fstat: same size, same mtime,
 * still linked means nothing changed (`currentIndex`). A larger size means frames were
 * appended, and only those are read and replayed onto the index in place. A file whose path
 * now leads elsewhere (no links left, or sealed for a replacement) is opened again by path,
 * and its header tells whether it is still the file the index was read from (the generation).
 */

export type Inspection =
  | { usable: true; stat: fs.Stats; identity: string; generation: string }
  | { usable: false; stat: fs.Stats; identity: string; problem: string };

/** How a catch-up went: the index is current now, or it no longer describes the file's contents. */
type CatchUp = 'current' | 'gone' | 'rewritten';

/** The index of `file` if nothing changed since this process last read it: one fstat, no read. */
export function currentIndex(context: StoreContext, file: string): FileIndex | undefined {
  const index = context.indexes.get(file);
  if (index === undefined || index.sealed) return undefined;
  const handle = index.handle;
  if (handle === undefined) return index.identity === NO_FILE && !fs.existsSync(file) ? index : undefined;
  if (!handle.held) return undefined;
  touch(handle);
  const stat = fs.fstatSync(handle.fd);
  return stat.nlink > 0 && stat.size === index.offset && stat.mtimeMs === index.mtimeMs ? index : undefined;
}

/**
 * `file`'s index, up to date. A file that cannot be read is reported (once) and reads as empty;
 * nothing here throws for the state of a file.
 */
export function* load(context: StoreContext, file: string): FileFlow<FileIndex> {
  let known = context.indexes.get(file);
  const handle = known?.handle;
  if (known !== undefined && handle?.held && !known.sealed) {
    let outcome: CatchUp;
    try {
      outcome = yield* catchUp(context, file, known, handle);
    } catch (error) {
      return unreadable(context, file, error);
    }
    if (outcome === 'current') return known;
    // Removed or replaced (the path may lead to another file now), or edited in place (read it
    // again from the start): open the path afresh.
    context.indexes.forget(file, known);
    if (outcome === 'rewritten') known = undefined;
  }
  for (let attempt = 0; ; attempt++) {
    const index = yield* open(context, file, known, attempt < 3);
    if (index !== undefined) return index;
    known = undefined;
  }
}

/**
 * Opens `file` by path and brings its index up to date: the known one if the file is still the
 * one it was read from, else a new one read from the start. Undefined: look again (the file
 * changed while it was being read).
 */
function* open(context: StoreContext, file: string, known: FileIndex | undefined, again: boolean): FileFlow<FileIndex | undefined> {
  let fd: number;
  let writable = true;
  try {
    try {
      fd = fs.openSync(file, APPEND_FLAGS);
    } catch (error) {
      // A file this process may not write can still be read; a write then repairs it (append.ts).
      if (!isUnusable(error) || (error as NodeJS.ErrnoException).code === 'ELOOP') throw error;
      fd = fs.openSync(file, 'r');
      writable = false;
    }
  } catch (error) {
    return unopenable(context, file, known, error);
  }
  let inspection: Inspection;
  try {
    inspection = inspect(context.kind, fd);
  } catch (error) {
    fs.closeSync(fd);
    return unreadable(context, file, error);
  }
  if (!inspection.usable) {
    fs.closeSync(fd);
    return unusable(context, file, inspection);
  }
  if (known?.identity === inspection.identity && known.sealed) {
    fs.closeSync(fd); // still the sealed file: its records are final
    return known;
  }
  const index = adopt(context, file, known, fd, inspection, writable);
  let outcome: CatchUp;
  try {
    outcome = yield* catchUp(context, file, index, index.handle!);
  } catch (error) {
    return unreadable(context, file, error);
  }
  if (outcome === 'current') return index;
  context.indexes.forget(file, index);
  return again ? undefined : unreadable(context, file, changingUnderfoot(file));
}

/**
 * The index for the file just opened as `fd`: `known` if it was read from that file, else a new
 * one to be read from the start; it holds `fd` from now on and is installed for `file`.
 */
export function adopt(
  context: StoreContext,
  file: string,
  known: FileIndex | undefined,
  fd: number,
  inspection: Extract<Inspection, { usable: true }>,
  writable: boolean,
): FileIndex {
  const { identity, stat, generation } = inspection;
  let index: FileIndex;
  if (known?.identity === identity && known.ino === stat.ino) {
    index = known;
    release(known.handle);
  } else {
    index = new FileIndex(identity, stat.ino, generation);
    index.offset = HEADER_SIZE;
  }
  index.handle = hold(fd, stat.ino, writable);
  context.indexes.set(file, index);
  return index;
}

/**
 * Replays what `index`'s own file holds beyond `index.offset`, in place. The file is the one the
 * index holds open, wherever its path leads now. A reader stops at a file with no links left
 * ('gone': the path leads elsewhere); an appender (`own`) reads it all the same, to learn the
 * outcome of the frames it appended to that file. `handle` is the index's (the caller makes
 * sure it is open). Throws fs errors.
 */
export function* catchUp(context: StoreContext, file: string, index: FileIndex, handle: Handle, own = false): FileFlow<CatchUp> {
  pin(handle);
  try {
    for (;;) {
      const stat = fs.fstatSync(handle.fd);
      if (stat.nlink === 0 && !own) return 'gone';
      if (stat.size === index.offset) {
        if (stat.mtimeMs !== index.mtimeMs && index.mtimeMs >= 0) return 'rewritten';
        index.mtimeMs = stat.mtimeMs;
        return 'current';
      }
      if (stat.size < index.offset) return 'rewritten';
      const from = index.offset;
      const bytes = (yield { io: 'read', fd: handle.fd, from, to: stat.size }) as Buffer;
      // Another operation of this process replayed meanwhile (this read awaited): look again.
      if (index.offset !== from) continue;
      // memoir only ever appends frames, and each starts with the file's generation: appended
      // bytes that do not were written by something else, over what was read before. (Unless
      // the last replay stopped inside damage it skipped.)
      if (index.mtimeMs >= 0 && !index.damaged && !startsWithSalt(bytes, index.generation)) return 'rewritten';
      replayTail(context, file, index, bytes, stat.mtimeMs);
      return 'current';
    }
  } finally {
    unpin(handle);
  }
}

function startsWithSalt(bytes: Buffer, generation: string): boolean {
  const n = Math.min(bytes.length, generation.length);
  return bytes.toString('latin1', 0, n) === generation.slice(0, n);
}

/** Replays `bytes` (read from `index.offset` on) onto the index. */
function replayTail(context: StoreContext, file: string, index: FileIndex, bytes: Buffer, mtimeMs: number): void {
  const before = index.records.live;
  const replay = replayFrames(bytes, index.offset, index.generation, index.records, index.sealed, { pending: index.pending });
  index.offset = replay.offset;
  index.mtimeMs = mtimeMs;
  index.sealed = replay.sealed;
  if (replay.problem !== undefined) {
    index.damaged = true;
    context.faults.corrupt(file, replay.problem);
  } else if (!index.damaged) {
    context.faults.cleared(file);
  }
  context.indexes.resized(file, index, before);
}

/**
 * What the open file is: a usable one (its generation) or not (why: a bad header, or shorter
 * than the frames it was created with), with the identity its index is tagged with.
 */
export function inspect(kind: FileKind, fd: number): Inspection {
  const header = Buffer.allocUnsafe(HEADER_SIZE);
  const n = fs.readSync(fd, header, 0, HEADER_SIZE, 0);
  const stat = fs.fstatSync(fd);
  const reading = readHeader(header, n, kind);
  if (!reading.ok) return { usable: false, stat, identity: unusableIdentity(stat), problem: reading.problem };
  if (stat.size < HEADER_SIZE + reading.baseLength) {
    const problem = `truncated: ${stat.size - HEADER_SIZE} bytes after the header, which says at least ${reading.baseLength}`;
    return { usable: false, stat, identity: unusableIdentity(stat), problem };
  }
  return { usable: true, stat, identity: `g:${reading.generation}`, generation: reading.generation };
}

/**
 * The identity (see FileIndex) of the file at `file` now; undefined when there is none or it
 * cannot be opened. This is how "is it still the file I read?" is answered once this process
 * may have closed that file: an inode number alone cannot tell, as the file system gives a freed
 * inode's number to the next file it creates (ext4 does at once).
 */
export function identityAt(kind: FileKind, file: string): string | undefined {
  return readOpenFile(file, (fd) => inspect(kind, fd).identity);
}

/** An unusable file reads as empty (reported once); the next change replaces it. */
function unusable(context: StoreContext, file: string, inspection: Extract<Inspection, { usable: false }>): FileIndex {
  context.faults.corrupt(file, inspection.problem);
  const index = new FileIndex(inspection.identity, inspection.stat.ino);
  index.damaged = true;
  context.indexes.set(file, index);
  return index;
}

function unopenable(context: StoreContext, file: string, known: FileIndex | undefined, error: unknown): FileIndex {
  if (!isFsError(error) || error.code !== 'ENOENT') return unreadable(context, file, error);
  if (known?.identity === NO_FILE) return known;
  const index = new FileIndex(NO_FILE);
  context.indexes.set(file, index);
  return index;
}

function unreadable(context: StoreContext, file: string, error: unknown): FileIndex {
  if (!isFsError(error)) throw error;
  context.faults.io(file, 'read', error);
  // Not kept: the next call tries again, and the fault is only reported once.
  return new FileIndex(`e:${error.code}`);
}

function changingUnderfoot(file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${file} kept changing while it was read`), { code: 'EIO', syscall: 'read' });
}

/** How an unusable file is told apart from its next state: inode, size and mtime. */
function unusableIdentity(stat: fs.Stats): string {
  return `x:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
}
