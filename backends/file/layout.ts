import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileKind } from './format';
import { SnapshotCache } from './snapshots';

/**
 * Which file holds a key.
 *
 * - Sharded (default, "one store per function"): a fixed number of shard files per function;
 *   a key lives in the shard its hash picks. A write appends to one shard, so its cost barely
 *   grows with the cache, and shards stay replayed in memory so that a hit never re-reads a
 *   store (only what was appended since the last read).
 * - Separate files: one file per key, named by a digest of the key (keys can be any string;
 *   the digest is a safe, fixed-length file name). Good for large values: compacting a file
 *   rewrites only its own entry. A bounded working set of entries stays replayed in memory.
 */
export interface Layout {
  readonly kind: FileKind;
  /** The file that holds `key`. */
  fileFor(key: string): string;
  /** True when `key` belongs in `file` (a file can only vouch for its own keys). */
  holds(file: string, key: string): boolean;
  /** Whether a directory entry is one of this layout's data files. */
  isDataFile(name: string): boolean;
  readonly snapshots: SnapshotCache;
}

/** Fixed per format version: every process must route a key to the same shard. */
export const SHARD_COUNT = 64;
export const SHARD_FILE = /^shard-\d{2}\.bin$/;
export const ENTRY_FILE = /^[0-9a-f]{40}\.entry$/;

/** FNV-1a over UTF-16 code units: fast, stable across processes and platforms. */
function shardOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % SHARD_COUNT;
}

export function shardedLayout(dir: string): Layout {
  const files = Array.from({ length: SHARD_COUNT }, (_, i) =>
    path.join(dir, `shard-${String(i).padStart(2, '0')}.bin`),
  );
  return {
    kind: 'S',
    fileFor: (key) => files[shardOf(key)],
    holds: (file, key) => files[shardOf(key)] === file,
    isDataFile: (name) => SHARD_FILE.test(name),
    snapshots: new SnapshotCache(),
  };
}

export function separateFilesLayout(dir: string): Layout {
  const fileFor = (key: string) =>
    path.join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.entry`);
  return {
    kind: 'E',
    fileFor,
    holds: (file, key) => fileFor(key) === file,
    isDataFile: (name) => ENTRY_FILE.test(name),
    // Enough to keep a hot working set parsed; beyond it a hit costs one small file read.
    snapshots: new SnapshotCache(20_000, 256 * 1024 * 1024),
  };
}

/** The data files present in `dir` (none when it does not exist yet). */
export function listDataFilesSync(dir: string, layout: Layout): string[] {
  try {
    return fs
      .readdirSync(dir)
      .filter(layout.isDataFile)
      .map((name) => path.join(dir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export async function listDataFiles(dir: string, layout: Layout): Promise<string[]> {
  try {
    const names = await fs.promises.readdir(dir);
    return names.filter(layout.isDataFile).map((name) => path.join(dir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
