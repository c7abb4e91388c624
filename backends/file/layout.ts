import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { FileKind } from './format';
import type { FileFlow } from './io';

/** What kind of files a store holds, and how many of their indexes a process keeps (file-index.ts). */
export interface StorePlace {
  readonly kind: FileKind;
  readonly indexBounds: { maxFiles?: number; maxBytes?: number };
}

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
export interface Layout extends StorePlace {
  readonly kind: FileKind;
  /** The file that holds `key`. */
  fileFor(key: string): string;
  /** True when `key` belongs in `file` (a file can only vouch for its own keys). */
  holds(file: string, key: string): boolean;
  /** Whether a directory entry is one of this layout's data files. */
  isDataFile(name: string): boolean;
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
    indexBounds: {},
  };
}

/** Files of the one-file-per-entry layout whose index a process keeps at most. */
const ENTRY_INDEXES = 20_000;

export function separateFilesLayout(dir: string): Layout {
  // A hit looks its key's file up here first: a SHA-256 and a path join cost more than the
  // rest of the hit. Bounded like the indexes (refilled after a clear of it).
  const known = new Map<string, string>();
  const fileFor = (key: string) => {
    let file = known.get(key);
    if (file === undefined) {
      file = path.join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.entry`);
      if (known.size >= ENTRY_INDEXES) known.clear();
      known.set(key, file);
    }
    return file;
  };
  return {
    kind: 'E',
    fileFor,
    holds: (file, key) => fileFor(key) === file,
    isDataFile: (name) => ENTRY_FILE.test(name),
    // Enough to keep a hot working set parsed; beyond it a hit costs one small file read.
    indexBounds: { maxFiles: ENTRY_INDEXES, maxBytes: 256 * 1024 * 1024 },
  };
}

/** The data files present in `dir` (none when it does not exist yet). */
export function* listDataFiles(dir: string, layout: Layout): FileFlow<string[]> {
  const names = (yield { io: 'list', dir }) as string[];
  return names.filter(layout.isDataFile).map((name) => path.join(dir, name));
}
