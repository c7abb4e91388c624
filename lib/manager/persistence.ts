import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { types } from 'node:util';
import { v8Serializer } from '../contract';
import { MemoirError } from '../errors';
import { ensureDirSync, readOpenFile, safeFileName, writeFileAtomicSync } from '../util';

/**
 * The file format of persistent manager caches: one file per cache at
 * `<cacheDirectory>/<managerName>/<cacheName>`, written atomically (temp file + rename, 0700
 * directories, 0600 files), so a reader never sees a torn file and needs no lock.
 *
 * Several processes may save one cache; the file therefore keeps what a merge needs
 * (merge.ts): each entry's stamp (when it was last changed) and the revision of the file that
 * wrote it, tombstones of deleted keys, and the stamp of the last clear or invalidation. The
 * whole file is one node:v8 serialization (one call each way: per-value calls cost 2-3x).
 *
 * The I/O is synchronous on purpose: a Map-like cache is a synchronous object (registration
 * returns it already loaded), the exit and signal flush can only run synchronous code, and
 * one code path for timer saves, explicit saves and the exit flush means a save can never
 * interleave with an invalidation.
 */

/** Marks our files so a foreign file at the same path is reported instead of misread. */
const FORMAT = 'memoir-managed-cache';
/** Version 1 held a bare Map of values (read, never written); 2 adds stamps for merging. */
const VERSION = 2;
/**
 * Version 2 files start with this magic and a length-prefixed header (format, version, id,
 * revision) before the body, so a save can tell from a few bytes whether the file is still
 * the one this process last wrote or read, and skip reading the rest.
 */
const MAGIC = Buffer.from('MEMOIRMC', 'latin1');
const PREFIX_SIZE = MAGIC.length + 4;

/** Stamp of a key loaded from a version-1 file, or known only from memory: older than any change. */
export const UNKNOWN_STAMP = 0;

export interface SavedEntry {
  value: unknown;
  /** When it was last changed (stamps.ts). */
  stamp: number;
  /** The file revision that wrote it: newer than a process's last sync means "changed since". */
  revision: number;
}

/** A cache's saved contents with what merging needs. */
export interface SavedContents<K> {
  /** Random, new whenever a file is started from nothing: tells "replaced" from "changed". */
  id: string;
  /** Bumped by every write of the file. */
  revision: number;
  /** Stamp of the last clear or invalidation: changes stamped before it are gone. -1: never. */
  clearedAt: number;
  entries: Map<K, SavedEntry>;
  /** Tombstones of deleted keys (key → stamp), so an older save does not bring them back. */
  deleted: Map<K, number>;
}

/** Which file a process saw: `id` and `revision` of the header. */
export interface SavedVersion {
  id: string;
  revision: number;
}

interface SavedHeader extends SavedVersion {
  format: typeof FORMAT;
  version: number;
}

/** The body of a version-2 file: parallel arrays serialize more compactly than objects. */
interface SavedBody {
  clearedAt: number;
  keys: unknown[];
  values: unknown[];
  stamps: number[];
  revisions: number[];
  deletedKeys: unknown[];
  deletedStamps: number[];
}

export function cacheFilePath(directory: string, managerName: string, cacheName: string): string {
  return path.join(directory, safeFileName(managerName), safeFileName(cacheName));
}

/** Contents of a file that does not exist yet. */
export function emptyContents<K>(): SavedContents<K> {
  return {
    id: randomBytes(8).toString('hex'),
    revision: 0,
    clearedAt: -1,
    entries: new Map(),
    deleted: new Map(),
  };
}

/** The bytes of `contents`; throws what node:v8 throws for a value it cannot serialize. */
export function encodeSavedContents<K>(contents: SavedContents<K>): Buffer {
  const header: SavedHeader = {
    format: FORMAT,
    version: VERSION,
    id: contents.id,
    revision: contents.revision,
  };
  const body: SavedBody = {
    clearedAt: contents.clearedAt,
    keys: [],
    values: [],
    stamps: [],
    revisions: [],
    deletedKeys: [...contents.deleted.keys()],
    deletedStamps: [...contents.deleted.values()],
  };
  for (const [key, entry] of contents.entries) {
    body.keys.push(key);
    body.values.push(entry.value);
    body.stamps.push(entry.stamp);
    body.revisions.push(entry.revision);
  }
  const headerBytes = v8Serializer.serialize(header);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length);
  return Buffer.concat([MAGIC, length, headerBytes, v8Serializer.serialize(body)]);
}

/**
 * The id and revision of the saved file from its first bytes; undefined when there is no
 * file, or when it is not a version-2 file that can be vouched for this way (the caller then
 * reads it whole, which also reports what is wrong with it).
 */
export function readSavedVersion(file: string): SavedVersion | undefined {
  return readOpenFile(file, (fd) => {
    const prefix = Buffer.alloc(PREFIX_SIZE);
    if (fs.readSync(fd, prefix, 0, PREFIX_SIZE, 0) < PREFIX_SIZE) return undefined;
    if (!prefix.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
    const headerBytes = Buffer.alloc(prefix.readUInt32LE(MAGIC.length));
    if (fs.readSync(fd, headerBytes, 0, headerBytes.length, PREFIX_SIZE) < headerBytes.length) {
      return undefined;
    }
    const header = decodeHeader(headerBytes);
    return header && { id: header.id, revision: header.revision };
  });
}

export function writeSavedBytes(file: string, cacheName: string, bytes: Buffer): void {
  try {
    ensureDirSync(path.dirname(file));
    writeFileAtomicSync(file, bytes);
  } catch (error) {
    throw new MemoirError(
      'BACKEND_ERROR',
      `Cache "${cacheName}": cannot save to ${file} (${(error as Error).message}).`,
      { cause: error },
    );
  }
}

/**
 * What is saved for a cache: `contents` (undefined when nothing is saved), or a `problem`
 * when the file exists but cannot be used. A bad file is a problem to report, never a crash:
 * the cache starts empty and its next save replaces the file.
 */
export function readSavedContents<K>(
  file: string,
  cacheName: string,
): { contents?: SavedContents<K>; problem?: MemoirError } {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return {
      problem: unusable(file, cacheName, `cannot be read: ${(error as Error).message}`, error),
    };
  }
  if (bytes.length >= PREFIX_SIZE && bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    return fromVersion2<K>(file, cacheName, bytes);
  }
  let saved: unknown;
  try {
    saved = v8Serializer.deserialize(bytes);
  } catch (error) {
    return { problem: unusable(file, cacheName, 'is corrupt', error) };
  }
  const candidate = saved as { format?: unknown; version?: unknown; entries?: unknown } | null;
  if (typeof candidate !== 'object' || candidate === null || candidate.format !== FORMAT) {
    return { problem: unusable(file, cacheName, 'is not a memoir cache file') };
  }
  if (candidate.version === 1 && types.isMap(candidate.entries)) {
    return fromVersion1(candidate.entries as Map<K, unknown>);
  }
  return {
    problem: unusable(file, cacheName, `has unsupported format version ${String(candidate.version)}`),
  };
}

function fromVersion2<K>(
  file: string,
  cacheName: string,
  bytes: Buffer,
): { contents?: SavedContents<K>; problem?: MemoirError } {
  const headerEnd = PREFIX_SIZE + bytes.readUInt32LE(MAGIC.length);
  let header: SavedHeader | undefined;
  let body: unknown;
  try {
    header = decodeHeader(bytes.subarray(PREFIX_SIZE, headerEnd));
    if (!header) return { problem: unusable(file, cacheName, 'is not a memoir cache file') };
    if (header.version !== VERSION) {
      return {
        problem: unusable(file, cacheName, `has unsupported format version ${String(header.version)}`),
      };
    }
    body = v8Serializer.deserialize(bytes.subarray(headerEnd));
  } catch (error) {
    return { problem: unusable(file, cacheName, 'is corrupt', error) };
  }
  if (!isBody(body)) return { problem: unusable(file, cacheName, 'is corrupt') };
  const entries = new Map<K, SavedEntry>();
  for (let i = 0; i < body.keys.length; i++) {
    entries.set(body.keys[i] as K, {
      value: body.values[i],
      stamp: body.stamps[i],
      revision: body.revisions[i],
    });
  }
  const deleted = new Map<K, number>();
  for (let i = 0; i < body.deletedKeys.length; i++) {
    deleted.set(body.deletedKeys[i] as K, body.deletedStamps[i]);
  }
  return {
    contents: { id: header.id, revision: header.revision, clearedAt: body.clearedAt, entries, deleted },
  };
}

/** The header, or undefined when the bytes are not one of ours (a header of any version). */
function decodeHeader(bytes: Buffer): SavedHeader | undefined {
  const header = v8Serializer.deserialize(bytes) as Partial<SavedHeader> | null;
  if (typeof header !== 'object' || header === null || header.format !== FORMAT) return undefined;
  if (typeof header.id !== 'string' || typeof header.revision !== 'number') return undefined;
  return header as SavedHeader;
}

/** Removes the saved contents; nothing saved is not an error. */
export function deleteContentsFile(file: string, cacheName: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch (error) {
    throw new MemoirError(
      'BACKEND_ERROR',
      `Cache "${cacheName}": cannot delete ${file} (${(error as Error).message}).`,
      { cause: error },
    );
  }
}

/** A version-1 file (a bare Map of values): its entries, older than any change to come. */
function fromVersion1<K>(values: Map<K, unknown>): { contents: SavedContents<K> } {
  const contents = emptyContents<K>();
  for (const [key, value] of values) {
    contents.entries.set(key, { value, stamp: UNKNOWN_STAMP, revision: 0 });
  }
  return { contents };
}

function isBody(value: unknown): value is SavedBody {
  const body = value as Partial<SavedBody> | null;
  if (typeof body !== 'object' || body === null || typeof body.clearedAt !== 'number') return false;
  const arrays = [body.keys, body.values, body.stamps, body.revisions];
  return (
    arrays.every((array) => Array.isArray(array) && array.length === arrays[0]?.length) &&
    Array.isArray(body.deletedKeys) &&
    Array.isArray(body.deletedStamps) &&
    body.deletedKeys.length === body.deletedStamps.length
  );
}

function unusable(file: string, cacheName: string, what: string, cause?: unknown): MemoirError {
  return new MemoirError(
    'CORRUPT_ENTRY',
    `Cache "${cacheName}": the saved file ${file} ${what}; starting empty (the next save replaces it).`,
    { cause },
  );
}
