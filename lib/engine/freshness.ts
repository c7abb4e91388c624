import type { Entry } from '../contract';
import type { CallPolicy } from '../config';

export const FRESH = 0;
export const STALE = 1;
export const MISS = 2;
export type Freshness = typeof FRESH | typeof STALE | typeof MISS;

/**
 * The one rule that classifies an entry for a call, used by the hit fast path and the flow
 * alike. A placeholder, or a null result without allowNone, is a miss. The clock is read only
 * when an entry can go stale at all, which keeps hits of never-stale functions clock-free.
 */
export function freshness(entry: Entry | undefined, policy: CallPolicy, clock: () => number): Freshness {
  if (entry?.completed !== true || (entry.value == null && !policy.allowNone) || policy.freshFor < 0) {
    return MISS;
  }
  if (policy.freshFor === Number.POSITIVE_INFINITY) return FRESH;
  return clock() - entry.time <= policy.freshFor ? FRESH : STALE;
}
