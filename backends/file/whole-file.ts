import * as fs from 'node:fs';
import { DIR_MODE, FILE_MODE, tempNameFor } from '../../lib/util';
import { FileIndex, NO_FILE, type RecordMap } from './file-index';
import { encodeFile, newGeneration } from './format';
import { hold } from './handles';
import type { FileFlow } from './io';
import { install, type StoreContext } from './store';

/**
 * Whole files: written under a temporary name in the same directory, then hard-linked into
 * place (creation: fails if another process was first) or renamed over the old file
 * (compaction, the end of a replacement). A reader sees no file, the old one or the new one.
 * The temporary file stays open, and once in place that descriptor is the one the new index
 * holds (handles.ts): the file is never opened again to be read.
 */

/** A new file under a temporary name, open for appending, not yet in place. */
export interface PreparedFile {
  temp: string;
  fd: number;
  generation: string;
  /** Its records, as of the frames written so far. */
  records: RecordMap;
  /** Its descriptor is not this object's to close any more: its index holds it, or it is closed. */
  settled: boolean;
}

const TEMP_FLAGS = fs.constants.O_RDWR | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_EXCL;

/**
 * Writes a new file beside `file` holding `records`, its base being the frames `frames` encodes
 * with the new file's generation (a `state` frame, or the changes that create the file). The
 * write is a step: asynchronous on the async path when it is large. The caller discards it.
 */
export function* prepareFile(
  context: StoreContext,
  file: string,
  records: RecordMap,
  frames: (generation: string) => Buffer,
): FileFlow<PreparedFile> {
  const generation = newGeneration();
  const data = encodeFile(context.kind, generation, frames(generation));
  const temp = tempNameFor(file);
  const prepared: PreparedFile = { temp, fd: openTemp(context.dir, temp), generation, records, settled: false };
  try {
    yield { io: 'append', fd: prepared.fd, data };
  } catch (error) {
    discard(prepared);
    throw error;
  }
  return prepared;
}

/** Links a prepared file into place, only if no file is there; false when another was first. */
export function linkedInto(context: StoreContext, file: string, prepared: PreparedFile): boolean {
  const written = fs.fstatSync(prepared.fd);
  try {
    fs.linkSync(prepared.temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  installPrepared(context, file, prepared, written);
  return true;
}

/**
 * Renames a prepared file over `file`; false when the prepared file is gone (a sweep took it for
 * a dead writer's while its writer waited for the lock, see leftovers.ts).
 */
export function renamedInto(context: StoreContext, file: string, prepared: PreparedFile): boolean {
  const written = fs.fstatSync(prepared.fd);
  try {
    fs.renameSync(prepared.temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !fs.existsSync(prepared.temp)) return false;
    throw error;
  }
  installPrepared(context, file, prepared, written);
  return true;
}

/** Removes `file` and remembers that there is none. */
export function removeFile(context: StoreContext, file: string): void {
  fs.rmSync(file, { force: true });
  install(context, file, new FileIndex(NO_FILE));
}

/** Closes the prepared file unless its index holds it, and removes its temporary name. */
export function discard(prepared: PreparedFile): void {
  if (!prepared.settled) {
    prepared.settled = true;
    fs.closeSync(prepared.fd);
  }
  try {
    fs.unlinkSync(prepared.temp);
  } catch {
    // Linked or renamed into place already, or swept: nothing left to remove.
  }
}

/**
 * The new file is in place: its index is what was written, read from nowhere. `written` is its
 * state before it was in place: other processes may append to it as soon as it is, and those
 * frames are read like any others.
 */
function installPrepared(context: StoreContext, file: string, prepared: PreparedFile, written: fs.Stats): void {
  const index = new FileIndex(`g:${prepared.generation}`, written.ino, prepared.generation);
  index.records = prepared.records;
  index.offset = written.size;
  index.mtimeMs = written.mtimeMs;
  index.handle = hold(prepared.fd, written.ino, true);
  prepared.settled = true;
  install(context, file, index);
}

/** Creates the temporary file, and the cache directory (0700) on first use. */
function openTemp(dir: string, temp: string): number {
  try {
    return fs.openSync(temp, TEMP_FLAGS, FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    return fs.openSync(temp, TEMP_FLAGS, FILE_MODE);
  }
}
