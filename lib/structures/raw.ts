import { describe, MemoirError } from '../errors';

/**
 * Raw values and members (`static serialize = false`): stored as text, so other clients of the
 * same Redis read and change them with plain commands (INCRBY, HINCRBY, ...). A string is
 * stored as it is, a number as its digits; reading back, text that spells a finite number
 * (as `String(n)` writes it) is that number, anything else a string. So raw values do not
 * keep the difference between `'42'` and `42`: serialize them when it matters.
 */
export function rawText(value: unknown, role: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return String(value);
  throw new MemoirError(
    'INVALID_ARGUMENT',
    `Invalid ${role} ${describe(value)}: with \`static serialize = false\` a ${role} is a string or a finite number (stored as its text); serialize it otherwise.`,
  );
}

/** A raw value as given to a store: a string, or a finite number (which every store can add to). */
export function rawValue(value: unknown, role: string): string | number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return rawText(value, role);
}

/** Raw text as it reads back: the number it spells (its canonical digits), else the text. */
export function fromRawText(text: string): string | number {
  if (text.length === 0 || text.length > 32) return text;
  const first = text.charCodeAt(0);
  if (first !== 45 /* - */ && (first < 48 || first > 57)) return text;
  const number = Number(text);
  return Number.isFinite(number) && String(number) === text ? number : text;
}

/** A raw value as a store hands it back (bytes from Redis, text or a number elsewhere). */
export function fromRawStored(stored: unknown): unknown {
  if (typeof stored === 'string') return fromRawText(stored);
  if (Buffer.isBuffer(stored)) return fromRawText(stored.toString('utf8'));
  return stored;
}
