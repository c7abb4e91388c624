import * as fs from 'node:fs';
import { DIR_MODE, FILE_MODE, tempNameFor } from '../../lib/util';
import { encodeFile, encodeFrame, newGeneration, type Records, stateOp } from './format';
import { emptySnapshot, NO_FILE } from './snapshots';
import { install, type StoreContext } from './store';

/**
 * Whole files: written under a temporary name in the same directory, then hard-linked into
 * place (creation: fails if another process was first) or renamed over the old file
 * (compaction, clear, repair). A reader sees no file, the old one or the new one.
 */

/** A new file holding `records`, written under a temporary name, not yet in place. */
export interface PreparedFile {
  temp: string;
  generation: string;
  records: Records;
  length: number;
  mtimeMs: number;
}

/** Writes `records` to a temporary file beside `file`; the caller removes it if unused. */
export function prepareFile(context: StoreContext, file: string, records: Records): PreparedFile {
  const generation = newGeneration();
  const data = encodeFile(context.kind, generation, encodeFrame(generation, stateOp(records)));
  const temp = tempNameFor(file);
  writeTempSync(context.dir, temp, data);
  return { temp, generation, records, length: data.length, mtimeMs: fs.statSync(temp).mtimeMs };
}

/** Renames a prepared file over `file` and keeps its snapshot. */
export function renameInto(context: StoreContext, file: string, prepared: PreparedFile): void {
  fs.renameSync(prepared.temp, file);
  const { generation, records, length, mtimeMs } = prepared;
  install(context, file, { ...emptySnapshot(`g:${generation}`), records, offset: length, mtimeMs });
}

/**
 * Writes a new file holding `records` (none: removes the file) and installs its snapshot,
 * provided the old file is `stillInPlace` at the last moment.
 */
export function installFile(context: StoreContext, file: string, records: Records, stillInPlace: () => boolean): void {
  if (records.size === 0) {
    if (!stillInPlace()) return;
    fs.rmSync(file, { force: true });
    install(context, file, emptySnapshot(NO_FILE));
    return;
  }
  const prepared = prepareFile(context, file, records);
  try {
    if (stillInPlace()) renameInto(context, file, prepared);
  } finally {
    fs.rmSync(prepared.temp, { force: true });
  }
}

/**
 * Puts `data` at `file` through a temporary file hard-linked into place, only if no file is
 * there. Returns the new file's mtime, or undefined when another file was there first.
 */
export function linkNewFile(context: StoreContext, file: string, data: Buffer): number | undefined {
  const temp = tempNameFor(file);
  try {
    writeTempSync(context.dir, temp, data);
    const { mtimeMs } = fs.statSync(temp);
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
