/**
 * Names and keys as the table stores them. Most are stored as they are. A few strings cannot
 * be: PostgreSQL text refuses NUL, and a lone surrogate would be replaced by U+FFFD on its way
 * to UTF-8 on every engine, so two different keys could meet in one row. Those are stored as a
 * \u0001 marker plus the base64url of their UTF-16 code units; a key that itself starts with
 * the marker is encoded too, which keeps the mapping injective.
 */
const MARKER = '\u0001';

export function toStored(text: string): string {
  if (!text.includes('\u0000') && text.charCodeAt(0) !== 1 && text.isWellFormed()) return text;
  return MARKER + Buffer.from(text, 'utf16le').toString('base64url');
}

export function fromStored(stored: string): string {
  if (stored.charCodeAt(0) !== 1) return stored;
  return Buffer.from(stored.slice(1), 'base64url').toString('utf16le');
}
