import { type AcquireOutcome, type Claim, type Entry, isLive, type WriteOptions } from '../contract/core';
import { enterCalculation, isKeyFenced, leaveCalculation } from './fence';
import type { Memo } from './memo';
import { newOwner } from './owner';
import type { CallPolicy } from './settings';

/**
 * The decision tree of one call that was not answered by the hit fast path, written once as
 * a generator of storage operations. `drivers.ts` runs it against a core's sync operations
 * (sync functions) or async ones (async functions); the logic cannot drift between the two.
 */
export type Op =
  | { type: 'get'; key: string }
  | { type: 'acquire'; key: string; claim: Claim }
  | { type: 'release'; key: string; owner: string }
  | { type: 'write'; key: string; value: unknown; options: WriteOptions }
  /** Wait up to `ms` for the key to change (another caller is calculating it). */
  | { type: 'pause'; key: string; ms: number }
  /** Run the wrapped function; `owner` is the mark to renew while it runs. */
  | { type: 'run'; key: string; owner: string | undefined }
  /**
   * Calculate the key (calculateFlow). The driver routes it through the in-process
   * single-flight, so concurrent callers share one calculation but never a mere lookup.
   */
  | { type: 'calculate'; key: string; policy: CallPolicy };

export type Flow = Generator<Op, unknown, any>;

/** A storage operation failed: distinguishes backend faults from the user's own errors. */
export class BackendFailure {
  constructor(readonly error: unknown) {}
}

export const FRESH = 0;
export const STALE = 1;
export const MISS = 2;
export type Freshness = typeof FRESH | typeof STALE | typeof MISS;

/** Classifies an entry for a call. A placeholder, or a null result without allowNone, is a miss. */
export function freshness(entry: Entry | undefined, now: number, policy: CallPolicy): Freshness {
  if (!usable(entry, policy) || policy.freshFor < 0) return MISS;
  return now - entry.time <= policy.freshFor ? FRESH : STALE;
}

/** A completed value this call may return: placeholders never, null/undefined only with allowNone. */
function usable(entry: Entry | undefined, policy: CallPolicy): entry is Entry {
  return entry?.completed === true && (entry.value != null || policy.allowNone);
}

/** The hit test of the fast path: reads the clock only when an entry can go stale at all. */
export function isFresh(entry: Entry | undefined, policy: CallPolicy, clock: () => number): entry is Entry {
  if (!usable(entry, policy)) return false;
  return policy.freshFor === Number.POSITIVE_INFINITY || (policy.freshFor >= 0 && clock() - entry.time <= policy.freshFor);
}

export interface CallSite {
  self: unknown;
  args: readonly unknown[];
}

/** A call after the fast path: look up (unless prefetched), then serve, refresh or compute. */
export function* callFlow(
  memo: Memo,
  key: string,
  policy: CallPolicy,
  site: CallSite,
  prefetched?: { entry: Entry | undefined },
): Flow {
  try {
    if (!policy.overwrite) {
      const entry: Entry | undefined = prefetched ? prefetched.entry : yield { type: 'get', key };
      const state = freshness(entry, memo.settings.clock(), policy);
      if (state === FRESH) {
        memo.record.hit(key, policy);
        return entry!.value;
      }
      if (state === STALE && policy.nextTime) {
        memo.record.staleHit(key, policy);
        memo.refreshInBackground(key, site);
        return entry!.value;
      }
      memo.record.miss(key, policy, state === STALE ? 'stale' : 'missing');
    }
    return yield { type: 'calculate', key, policy };
  } catch (error) {
    if (!(error instanceof BackendFailure)) throw error;
    memo.record.backendFallback(error.error);
    memo.record.trace(policy, `backend error, running the function uncached: ${String(error.error)}`);
    return yield { type: 'run', key, owner: undefined };
  }
}

/** Marks the key, waits for another caller's calculation, or computes it. */
export function* calculateFlow(memo: Memo, key: string, policy: CallPolicy): Flow {
  const { settings } = memo;
  const owner = newOwner();
  const epoch = memo.epoch;
  const timeout = settings.waitForCalcTimeout;
  const deadline = timeout > 0 ? settings.clock() + timeout : Number.POSITIVE_INFINITY;
  let waited = false;

  for (;;) {
    const now = settings.clock();
    const outcome: AcquireOutcome = yield {
      type: 'acquire',
      key,
      claim: { owner, now, leaseUntil: now + settings.lease },
    };
    if (outcome.acquired) {
      // Double-checked: another caller may have completed the key between our read and mark.
      if (!policy.overwrite && freshness(outcome.entry, now, policy) === FRESH) {
        yield { type: 'release', key, owner };
        memo.record.trace(policy, 'completed by another caller just before our mark');
        return outcome.entry.value;
      }
      return yield* compute(memo, key, policy, owner, epoch);
    }

    if (!waited) {
      waited = true;
      memo.record.wait(key, policy, outcome.entry.processing?.owner);
    }
    let delay = 5;
    for (;;) {
      const remaining = deadline - settings.clock();
      if (remaining <= 0) {
        memo.record.waitTimeout(key, policy);
        return yield* compute(memo, key, policy, undefined, epoch);
      }
      yield { type: 'pause', key, ms: Math.min(delay, remaining) };
      delay = Math.min(delay * 2, 250);
      const entry: Entry | undefined = yield { type: 'get', key };
      const at = settings.clock();
      if (freshness(entry, at, policy) === FRESH) {
        memo.record.trace(policy, 'the other caller finished; using its value');
        return entry!.value;
      }
      // The mark is gone without a usable value (the calculator failed or died): take over.
      if (!isLive(entry?.processing, at)) break;
    }
  }
}

/** Runs the function and stores its result, unless an invalidation happened meanwhile. */
export function* compute(
  memo: Memo,
  key: string,
  policy: CallPolicy,
  owner: string | undefined,
  epoch: number,
): Flow {
  memo.record.recalculation(key, policy);
  let value: unknown;
  const ticket = enterCalculation(memo);
  let keyFenced: boolean;
  try {
    value = yield { type: 'run', key, owner };
  } catch (error) {
    if (owner) yield* releaseQuietly(memo, key, owner);
    throw error; // errors are never cached; in-process waiters share this rejection
  } finally {
    keyFenced = isKeyFenced(memo, key, ticket);
    leaveCalculation(memo);
  }
  if (memo.epoch !== epoch || keyFenced) {
    // Fencing: the cache (or one it depends on, or this key) was invalidated while we computed.
    memo.record.trace(policy, 'invalidated during the calculation: result returned, not stored');
    if (owner) yield* releaseQuietly(memo, key, owner);
    return value;
  }
  try {
    const options: WriteOptions = { time: memo.settings.clock(), owner, sizeLimit: memo.settings.entrySizeLimit };
    const stored: boolean = yield { type: 'write', key, value, options };
    if (!stored) memo.record.sizeRejection(key, policy);
  } catch (error) {
    memo.record.writeFailure(error instanceof BackendFailure ? error.error : error);
    if (owner) yield* releaseQuietly(memo, key, owner);
  }
  return value;
}

function* releaseQuietly(memo: Memo, key: string, owner: string): Flow {
  try {
    yield { type: 'release', key, owner };
  } catch (error) {
    // The lease will expire on its own; a waiter then takes over.
    memo.record.backendError(error instanceof BackendFailure ? error.error : error);
  }
  return undefined;
}

/** A background refresh (nextTime): only if nobody else is already calculating the key. */
export function* refreshFlow(memo: Memo, key: string, policy: CallPolicy): Flow {
  const owner = newOwner();
  const epoch = memo.epoch;
  const now = memo.settings.clock();
  const outcome: AcquireOutcome = yield {
    type: 'acquire',
    key,
    claim: { owner, now, leaseUntil: now + memo.settings.lease },
  };
  if (!outcome.acquired) return undefined;
  return yield* compute(memo, key, policy, owner, epoch);
}
