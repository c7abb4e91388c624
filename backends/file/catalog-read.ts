import * as fs from 'node:fs';
import * as path from 'node:path';
import { type EntryInfo, v8Serializer } from '../../lib/contract';
import { MemoirError } from '../../lib/errors';
import { isFsError } from './faults';
import { type FileKind, HEADER_SIZE, type Records, readHeader, type StoredRecord } from './format';
import { type Layout, separateFilesLayout, shardedLayout } from './layout';
import { isLockDirName, isTempFileName } from './leftovers';
import { replayFrames } from './log';

/**
 * Read-only views of a cache directory for the CLI: which subdirectories are file caches,
 * and what their data files hold. Reads need no lock: files only ever grow by whole frames
 * or are replaced by rename, and a replay ignores a frame still being written.
 */

/** One layout present in a cache directory, with its data files. */
export interface LayoutFiles {
  layout: Layout;
  files: string[];
}

/** Something in a cache's directory that memoir did not write; never read, moved or removed. */
export interface Stray {
  name: string;
  type: 'file' | 'directory' | 'symbolic link' | 'FIFO' | 'socket' | 'device' | 'unknown';
}

export interface CacheDirectory {
  /** The directory's name: the cache name, or its sanitized form (`name~digest`). */
  name: string;
  dir: string;
  /** Usually one; two when the cache switched `separateFiles` and kept old files. */
  layouts: LayoutFiles[];
  /** Entries memoir did not write (a notes.txt, a FIFO, a symlink...), sorted by name. */
  strays: Stray[];
}

/**
 * The directory as a file cache, or undefined when it is none. Data files are regular files
 * named as a layout names them; memoir's temporary files and lock directories are its own
 * too (leftovers.ts). Anything else is a stray: reported, left alone, and never a reason to
 * lose sight of the cache (a FIFO named like a data file is never opened: reading it would
 * block). A directory holding only strays is a cache only when asked for by `named` (an
 * emptied cache with a notes.txt left in it); `list` leaves such directories out, as they are
 * as likely a manager's directory or a foreign one. An empty directory is an emptied cache.
 */
export async function readCacheDirectory(
  dir: string,
  { named = false }: { named?: boolean } = {},
): Promise<CacheDirectory | undefined> {
  let names: fs.Dirent[];
  try {
    names = await fs.promises.readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isFsError(error) && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return undefined;
    throw new MemoirError('BACKEND_ERROR', `Cannot read the cache directory ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const sharded = shardedLayout(dir);
  const separate = separateFilesLayout(dir);
  const byLayout = new Map<Layout, string[]>([
    [sharded, []],
    [separate, []],
  ]);
  const strays: Stray[] = [];
  let own = 0;
  for (const entry of names) {
    const layout = entry.isFile() ? [sharded, separate].find((candidate) => candidate.isDataFile(entry.name)) : undefined;
    if (layout) byLayout.get(layout)!.push(path.join(dir, entry.name));
    else if (!(entry.isFile() && isTempFileName(entry.name)) && !(entry.isDirectory() && isLockDirName(entry.name))) {
      strays.push({ name: entry.name, type: typeOf(entry) });
      continue;
    }
    own++;
  }
  if (own === 0 && strays.length > 0 && !named) return undefined;
  const layouts = [...byLayout]
    .filter(([, files]) => files.length > 0)
    .map(([layout, files]) => ({ layout, files: files.sort() }));
  strays.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { name: path.basename(dir), dir, layouts, strays };
}

function typeOf(entry: fs.Dirent): Stray['type'] {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'directory';
  if (entry.isSymbolicLink()) return 'symbolic link';
  if (entry.isFIFO()) return 'FIFO';
  if (entry.isSocket()) return 'socket';
  if (entry.isBlockDevice() || entry.isCharacterDevice()) return 'device';
  return 'unknown';
}

/** One line naming the strays of a cache, for warnings. */
export function straysNotice(cache: CacheDirectory): string {
  const shown = cache.strays.slice(0, 10).map((stray) => `${stray.name} (${stray.type})`);
  const more = cache.strays.length > shown.length ? `, and ${cache.strays.length - shown.length} more` : '';
  const count = cache.strays.length === 1 ? '1 entry' : `${cache.strays.length} entries`;
  return `Cache "${cache.name}": ${count} in ${cache.dir} that memoir did not write, left alone: ${shown.join(', ')}${more}.`;
}

export function layoutName(kind: FileKind): string {
  return kind === 'S' ? 'sharded' : 'separate-files';
}

export type FileReading =
  | { ok: true; size: number; records: Records }
  | { ok: false; size: number; problem: string };

/** The records of one data file that belong in it (a file vouches only for its own keys). */
export async function readDataFile(file: string, layout: Layout): Promise<FileReading> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (error) {
    // Removed since the directory was listed: a concurrent clear emptied it.
    if (isFsError(error) && error.code === 'ENOENT')
      return { ok: true, size: 0, records: new Map() };
    return { ok: false, size: 0, problem: (error as Error).message };
  }
  const header = readHeader(bytes, bytes.length, layout.kind);
  if (!header.ok) return { ok: false, size: bytes.length, problem: header.problem };
  if (bytes.length < HEADER_SIZE + header.baseLength) return { ok: false, size: bytes.length, problem: 'truncated file' };
  const replay = replayFrames(bytes.subarray(HEADER_SIZE), HEADER_SIZE, header.generation, new Map(), false);
  if (replay.problem !== undefined) return { ok: false, size: bytes.length, problem: replay.problem };
  const records: Records = replay.records;
  for (const key of records.keys()) if (!layout.holds(file, key)) records.delete(key);
  return { ok: true, size: bytes.length, records };
}

/** The CLI's view of one record; the value is only deserialized when asked for. */
export function entryInfo(key: string, record: StoredRecord): EntryInfo {
  const bytes = record.bytes;
  return {
    key,
    time: record.time,
    completed: record.completed,
    size: bytes?.length ?? 0,
    ...(record.mark ? { processing: { ...record.mark } } : {}),
    value: () => (bytes ? v8Serializer.deserialize(bytes as Buffer) : undefined),
  };
}
