import * as fs from 'node:fs';

/**
 * What `read` makes of the file at `file`, opened for reading and closed again; undefined when
 * it cannot be opened or `read` throws. For a glance at a file's first bytes, where a file that
 * is missing, vanished or unreadable simply has nothing to tell.
 */
export function readOpenFile<T>(file: string, read: (fd: number) => T): T | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    return read(fd);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}
