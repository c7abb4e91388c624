import { MemoirError } from '../errors';

/**
 * What `increment` may add to: a safe integer held raw, or the ASCII digits of one (a text
 * store such as Redis hands integers back that way, and so does serializer 'string').
 */
export function parseInteger(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) ? raw : undefined;
  if (typeof raw !== 'string' && !Buffer.isBuffer(raw)) return undefined;
  if (raw.length === 0 || raw.length > 17) return undefined;
  const digits = typeof raw === 'string' ? raw : raw.toString('latin1');
  if (!/^-?(0|[1-9]\d*)$/.test(digits)) return undefined;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The sum, or NOT_A_NUMBER when the stored value is not an integer or the sum leaves the safe range. */
export function incremented(key: string, raw: unknown, delta: number): number {
  const current = raw === undefined ? 0 : parseInteger(raw);
  if (current === undefined) {
    throw new MemoirError('NOT_A_NUMBER', `increment: the value of ${JSON.stringify(key)} is not an integer.`);
  }
  const next = current + delta;
  if (!Number.isSafeInteger(next)) {
    throw new MemoirError('NOT_A_NUMBER', `increment: ${current} + ${delta} leaves the safe integer range (key ${JSON.stringify(key)}).`);
  }
  return next;
}
