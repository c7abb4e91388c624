import * as fs from 'node:fs';
import * as path from 'node:path';
import { types } from 'node:util';
import { ensureDirSync, safeFileName, writeFileAtomicSync } from '../util';
import { MemoirError } from '../errors';
import { serializeFor, v8Serializer } from '../contract';

/**
 * The default saver, loader and deleter of persistent manager caches: one v8-serialized file
 * per cache at `<cacheDirectory>/<managerName>/<cacheName>`, written atomically (temp file +
 * rename, 0700 directories, 0600 files).
 *
 * The I/O is synchronous on purpose: a Map-like cache is a synchronous object (registration
 * returns it already loaded), the exit flush can only run synchronous code, and one code
 * path for timer saves, explicit saves and the exit flush means a save can never interleave
 * with an invalidation's delete. Serialization, which dominates the cost, is synchronous in
 * v8 anyway.
 */

/** Marks our files so a foreign file at the same path is reported instead of misread. */
const FORMAT = 'memoir-managed-cache';
const VERSION = 1;

interface SavedFile {
  format: typeof FORMAT;
  version: number;
  entries: Map<unknown, unknown>;
}

export function cacheFilePath(directory: string, managerName: string, cacheName: string): string {
  return path.join(directory, safeFileName(managerName), safeFileName(cacheName));
}

export function saveContentsToFile(
  file: string,
  cacheName: string,
  contents: Map<unknown, unknown>,
): void {
  const saved: SavedFile = { format: FORMAT, version: VERSION, entries: contents };
  const bytes = serializeFor(cacheName, saved);
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
export function loadContentsFromFile(
  file: string,
  cacheName: string,
): { contents?: Map<unknown, unknown>; problem?: MemoirError } {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return {
      problem: unusable(file, cacheName, `cannot be read: ${(error as Error).message}`, error),
    };
  }
  let saved: unknown;
  try {
    saved = v8Serializer.deserialize(bytes);
  } catch (error) {
    return { problem: unusable(file, cacheName, 'is corrupt', error) };
  }
  if (!isSavedFile(saved)) {
    return { problem: unusable(file, cacheName, 'is not a memoir cache file') };
  }
  if (saved.version !== VERSION) {
    return {
      problem: unusable(file, cacheName, `has unsupported format version ${saved.version}`),
    };
  }
  return { contents: saved.entries };
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

function isSavedFile(value: unknown): value is SavedFile {
  const candidate = value as Partial<SavedFile> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.format === FORMAT &&
    typeof candidate.version === 'number' &&
    // v8.deserialize builds objects of the main realm; `instanceof` would fail inside vm sandboxes (jest).
    types.isMap(candidate.entries)
  );
}

function unusable(file: string, cacheName: string, what: string, cause?: unknown): MemoirError {
  return new MemoirError(
    'CORRUPT_ENTRY',
    `Cache "${cacheName}": the saved file ${file} ${what}; starting empty (the next save replaces it).`,
    { cause },
  );
}
