import { invalidOption } from './errors';

/** A duration: milliseconds, or a string such as '500ms', '10s', '5m', '1h', '2d'. */
export type Duration = number | string;
/** A size: bytes, or a string such as '512B', '10KB', '1.5MB', '1GB' (1024-based). */
export type Size = number | string;

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

const DURATION_RE = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/i;
const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)\s*$/i;

/**
 * Parses a duration option. `allowNegative` exists for `maxAge`, where a negative value
 * means "always recompute".
 */
export function parseDuration(value: Duration, option: string, allowNegative = false): number {
  const accepted = `milliseconds (a ${allowNegative ? '' : 'non-negative '}number) or a string like '500ms', '10s', '5m', '1h', '2d'`;
  if (typeof value === 'number') {
    if (Number.isNaN(value) || (!allowNegative && value < 0)) {
      throw invalidOption(option, value, accepted);
    }
    return value;
  }
  const match = typeof value === 'string' ? DURATION_RE.exec(value) : null;
  if (!match || (!allowNegative && match[1].startsWith('-'))) throw invalidOption(option, value, accepted);
  // 'M' reads as months (or mega) as often as minutes: make the writer say which.
  if (match[2] === 'M') throw invalidOption(option, value, `an unambiguous unit: '${match[1]}m' for minutes (months are not a unit here)`);
  return Number(match[1]) * DURATION_UNITS[match[2].toLowerCase()];
}

/** The longest delay Node.js timers keep: a longer one fires after 1 ms instead. */
export const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * Parses a duration that memoir waits out with a timer (a lease it renews, a wait, a
 * timeout): beyond `LONGEST_TIMER_MS` Node.js would fire the timer at once, so such a value is
 * refused here rather than turned into a 1 ms wait at run time. `Infinity` is accepted where it
 * means "no limit" (`unbounded`).
 */
export function parseTimerDuration(value: Duration, option: string, unbounded = false): number {
  const ms = parseDuration(value, option);
  if (ms <= LONGEST_TIMER_MS || (unbounded && ms === Number.POSITIVE_INFINITY)) return ms;
  throw invalidOption(
    option,
    value,
    `at most ${LONGEST_TIMER_MS} ms (about 24.8 days, the longest timer Node.js keeps)${unbounded ? ', or Infinity for no limit' : ''}`,
  );
}

export function parseSize(value: Size, option: string): number {
  const accepted = "bytes (a non-negative number) or a string like '512B', '10KB', '1.5MB', '1GB'";
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw invalidOption(option, value, accepted);
    return value;
  }
  const match = typeof value === 'string' ? SIZE_RE.exec(value) : null;
  if (!match) throw invalidOption(option, value, accepted);
  return Math.floor(Number(match[1]) * SIZE_UNITS[match[2].toLowerCase()]);
}
