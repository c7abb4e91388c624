import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { shortDigest } from './short-digest';

/**
 * Files are written to a temporary name in the same directory and renamed into place, so a
 * concurrent reader sees either the old file or the new one, never a torn one. Directories
 * are owner-only (0700) and files 0600: cached results may hold private data.
 */
export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** A unique temporary name beside `file` (same directory, so renaming it over `file` is atomic). */
export function tempNameFor(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
}

export function ensureDirSync(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
}

export function writeFileAtomicSync(file: string, data: Buffer | Uint8Array | string): void {
  const temp = tempNameFor(file);
  try {
    fs.writeFileSync(temp, data, { mode: FILE_MODE });
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * A name safe to use as one path segment: no separators, no leading dots, no control
 * characters, bounded length. When anything had to change, a digest of the original name is
 * appended so that two different names never land on the same file ('a/b' vs 'a_b').
 */
export function safeFileName(name: string): string {
  const cleaned = name
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we strip.
    .replace(/[\u0000-\u001f/\\:*?"<>|]/g, '_')
    .replace(/^\.+/, (dots) => '_'.repeat(dots.length))
    .slice(0, 100);
  if (cleaned === name && name.length > 0) return name;
  return `${cleaned}~${shortDigest(name)}`;
}
