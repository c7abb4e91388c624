import { createHash } from 'node:crypto';

/** Ten hex digits of a SHA-1 of `text`: a suffix that tells two names apart, stable across runs. */
export function shortDigest(text: string): string {
  return createHash('sha1').update(text).digest('hex').slice(0, 10);
}
