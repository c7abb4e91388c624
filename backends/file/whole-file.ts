import * as fs from 'node:fs';
import { DIR_MODE, FILE_MODE, tempNameFor } from '../../lib/atomic-file';
import { encodeFile, encodeFrame, newGeneration, type Records, stateOp } from './format';
import { emptySnapshot, NO_FILE } from './snapshots';
import { install, type StoreContext } from './store';

/**
 * Whole files: written under a temporary name in the same directory, then hard-linked into
 * place (creation: fails if another process was first) or renamed over the old file
 * (compaction, clear, repair). A reader sees no file, the old one or the new one.
 */

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
export function placeFile(context: StoreContext, file: string, data: Buffer, replace: 'link' | (() => boolean)): number | undefined {
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
