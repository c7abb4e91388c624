import * as fs from 'node:fs';
import * as path from 'node:path';
import { type EntryInfo, v8Serializer } from '../../lib/contract';
import { isFsError } from './faults';
import { type FileKind, HEADER_SIZE, type Records, readHeader, type StoredRecord } from './format';
import { type Layout, separateFilesLayout, shardedLayout } from './layout';
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

export interface CacheDirectory {
  /** The directory's name: the cache name, or its sanitized form (`name~digest`). */
  name: string;
  dir: string;
  /** Usually one; two when the cache switched `separateFiles` and kept old files. */
  layouts: LayoutFiles[];
}

/**
 * The directory as a file cache, or undefined when it holds anything but data files (a
 * manager's directory, a foreign one). Hidden temp files and `.lock` directories are ignored;
 * an empty directory is an emptied cache.
 */
export async function readCacheDirectory(dir: string): Promise<CacheDirectory | undefined> {
  let names: fs.Dirent[];
  try {
    names = await fs.promises.readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isFsError(error) && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return undefined;
    throw error;
  }
  const sharded = shardedLayout(dir);
  const separate = separateFilesLayout(dir);
  const byLayout = new Map<Layout, string[]>([
    [sharded, []],
    [separate, []],
  ]);
  for (const entry of names) {
    if (entry.name.startsWith('.') || entry.name.endsWith('.lock')) continue;
    const layout = entry.isFile()
      ? [sharded, separate].find((candidate) => candidate.isDataFile(entry.name))
      : undefined;
    if (!layout) return undefined;
    byLayout.get(layout)!.push(path.join(dir, entry.name));
  }
  const layouts = [...byLayout]
    .filter(([, files]) => files.length > 0)
    .map(([layout, files]) => ({ layout, files: files.sort() }));
  return { name: path.basename(dir), dir, layouts };
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
