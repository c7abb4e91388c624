/**
 * object-hash digests bytes: every string chunk as UTF-8 (a lone surrogate becomes U+FFFD's
 * three bytes) and a Buffer's raw bytes. A key must be equal exactly when those bytes are, so
 * key texts hold the bytes themselves, one character (U+0000–U+00FF) per byte. For ASCII, the
 * common case, that is the string unchanged.
 *
 * Why not keep strings as UTF-16 and Buffers as latin1: then `[Buffer.from('é')]`-like bytes
 * and the string 'é' would be spelled differently although object-hash digests the same bytes
 * (C3 A9) — a miss where object-hash has a hit.
 */

/** A string's UTF-8 bytes as characters (identity for ASCII). */
export function byteText(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1');
}

/** `scan` flags. */
export const NON_ASCII = 1;
export const BRACKET = 2;

const NON_ASCII_CHARACTER = /[\u0080-\uffff]/;
const SHORT = 24;

/**
 * NON_ASCII when byteText would change the string; BRACKET when it holds '[', the one ASCII
 * character the key compression needs to know about (see key-serializer.ts).
 */
export function scan(value: string): number {
  if (value.length > SHORT) {
    return (NON_ASCII_CHARACTER.test(value) ? NON_ASCII : 0) | (value.includes('[') ? BRACKET : 0);
  }
  let flags = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0x80) flags |= NON_ASCII;
    else if (code === 0x5b) flags |= BRACKET;
  }
  return flags;
}

const STRING_PREFIXES = Array.from({ length: 64 }, (_, length) => `string:${length}:`);

/** What object-hash writes before a string of `length` UTF-16 units, shared for short ones. */
export function stringPrefix(length: number): string {
  return length < 64 ? STRING_PREFIXES[length] : `string:${length}:`;
}
