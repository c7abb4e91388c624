import { type AcquireOutcome, type Claim, type Entry, isLive, type WriteOptions, type WriteResult } from '../contract';
import { MemoirError } from '../errors';
import { BackendFailure, backendError, noteBackendFault, onBackendFailure } from './backend-failure';
import { FRESH, freshness, STALE } from './freshness';
import type { CallSite, MemoHost } from './host';
import { newOwner } from './owner';
import type { CallPolicy } from '../config';
import { elapsed } from './timers';

/**
 * The decision tree of one call that the hit fast path did not answer, written once as a
 * generator of storage operations. `drivers.ts` runs it against a core's sync operations
 * (sync functions) or async ones (async functions), so the logic cannot drift between them.
 *
 * Read top to bottom: callFlow (hit, stale, miss, backend down) → calculateFlow (mark, or
 * wait for another caller's mark) → compute (run, fence, store). refreshFlow is the
 * background refresh of nextTime.
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
   * Calculate the key: calculateFlow, or with `uncached` just run the function (the backend
   * is down). The driver routes it through the in-process single-flight, so concurrent
   * callers share one calculation (but never a mere lookup).
   */
  | { type: 'calculate'; key: string; policy: CallPolicy; uncached?: boolean };

export type Flow = Generator<Op, unknown, any>;

/** What the hit path already read before handing a call to the flow: the entry, or the failure. */
export type Prefetched = { entry: Entry | undefined } | { failure: unknown };

/** A call after the fast path: look up (unless prefetched), then serve, refresh or compute. */
export function* callFlow(
  host: MemoHost,
  key: string,
  policy: CallPolicy,
  site: CallSite,
  prefetched?: Prefetched,
): Flow {
  try {
    if (!policy.overwrite) {
      if (prefetched && 'failure' in prefetched) throw new BackendFailure(prefetched.failure);
      const entry: Entry | undefined = prefetched ? prefetched.entry : yield { type: 'get', key };
      const state = freshness(entry, policy, host.settings.clock);
      if (state === FRESH) {
        host.record.hit(key, policy);
        return host.answer(entry!);
      }
      if (state === STALE && policy.nextTime) {
        host.record.staleHit(key, policy);
        host.refreshInBackground(key, site);
        return host.answer(entry!);
      }
      host.record.miss(key, policy, state === STALE ? 'stale' : 'missing');
    }
    return yield { type: 'calculate', key, policy };
  } catch (error) {
    if (!(error instanceof BackendFailure)) throw error;
    onBackendFailure(host, error.error);
    host.record.trace(policy, `backend error, running the function uncached: ${String(error.error)}`);
    return yield { type: 'calculate', key, policy, uncached: true };
  }
}

/** Marks the key, waits for another caller's calculation, or computes it. */
export function* calculateFlow(host: MemoHost, key: string, policy: CallPolicy): Flow {
  const { settings } = host;
  const owner = newOwner();
  const epoch = host.epoch;
  const timeout = settings.waitForCalcTimeout;
  // Measured on the monotonic clock: an injected or stepped `clock` never stretches a wait.
  const deadline = timeout > 0 ? elapsed() + timeout : Number.POSITIVE_INFINITY;
  // An overwrite caller accepts another caller's value only if that calculation began after
  // its own call did: anything older is exactly what it asked to replace.
  const calledAt = settings.clock();
  let waited = false;

  for (;;) {
    const now = settings.clock();
    const outcome: AcquireOutcome = yield { type: 'acquire', key, claim: { owner, now, leaseUntil: now + settings.lease } };
    if (outcome.acquired) {
      // Double-checked: another caller may have completed the key between our read and mark.
      if (!policy.overwrite && freshness(outcome.entry, policy, () => now) === FRESH) {
        yield { type: 'release', key, owner };
        host.record.trace(policy, 'completed by another caller just before our mark');
        return host.answer(outcome.entry);
      }
      return yield* compute(host, key, policy, owner, epoch);
    }

    if (!waited) {
      waited = true;
      host.record.wait(key, policy, outcome.entry.processing?.owner);
    }
    const acceptable = !policy.overwrite || (outcome.entry.processing?.since ?? Number.NEGATIVE_INFINITY) >= calledAt;
    let delay = 5;
    for (;;) {
      const remaining = deadline - elapsed();
      if (remaining <= 0) {
        host.record.waitTimeout(key, policy);
        return yield* compute(host, key, policy, undefined, epoch);
      }
      yield { type: 'pause', key, ms: Math.min(delay, remaining) };
      delay = Math.min(delay * 2, 250);
      const entry: Entry | undefined = yield { type: 'get', key };
      const at = settings.clock();
      if (acceptable && freshness(entry, policy, () => at) === FRESH) {
        host.record.trace(policy, 'the other caller finished; using its value');
        return host.answer(entry!);
      }
      // The mark is gone without a usable value (the calculator failed or died): take over.
      if (!isLive(entry?.processing, at)) break;
    }
  }
}

/** Runs the function and stores its result, unless an invalidation happened meanwhile. */
export function* compute(host: MemoHost, key: string, policy: CallPolicy, owner: string | undefined, epoch: number): Flow {
  host.record.recalculation(key, policy);
  let value: unknown;
  const ticket = host.fences.enter();
  let keyFenced: boolean;
  try {
    value = yield { type: 'run', key, owner };
  } catch (error) {
    if (owner) yield* releaseQuietly(host, key, owner);
    throw error; // errors are never cached; in-process waiters share this rejection
  } finally {
    keyFenced = host.fences.isFenced(key, ticket);
    host.fences.leave();
  }
  if (host.epoch !== epoch || keyFenced) {
    // Fencing: the cache (or one it depends on, or this key) was invalidated while we computed.
    host.record.trace(policy, 'invalidated during the calculation: result returned, not stored');
    if (owner) yield* releaseQuietly(host, key, owner);
    return value;
  }
  try {
    const options: WriteOptions = {
      time: host.settings.clock(),
      owner,
      sizeLimit: host.settings.entrySizeLimit,
      promised: host.returnsPromise(),
    };
    const stored: WriteResult = yield { type: 'write', key, value, options };
    if (stored === false) host.record.sizeRejection(key, policy);
    // Another process invalidated the key (or took the mark over) while we computed.
    else if (stored === 'fenced') host.record.trace(policy, 'mark cleared or taken over meanwhile: result returned, not stored');
  } catch (error) {
    // A failed write never costs the caller its result, even in 'throw' mode.
    const cause = error instanceof BackendFailure ? error.error : error;
    if (cause instanceof MemoirError && cause.code === 'SERIALIZATION_FAILED') host.record.unstorable(cause);
    else noteBackendFault(host, cause);
    if (owner) yield* releaseQuietly(host, key, owner);
  }
  return value;
}

/** The backend is down: the function runs, nothing is read or stored. */
export function* runUncached(key: string): Flow {
  return yield { type: 'run', key, owner: undefined };
}

/**
 * A call while the circuit breaker is open: the function runs uncached, shared by the
 * in-process callers of the key; in 'throw' mode the call rejects at once instead.
 */
export function* bypassFlow(host: MemoHost, key: string, policy: CallPolicy): Flow {
  if (host.settings.onBackendError === 'throw') {
    throw backendError(host, new Error('the backend failed recently; retrying it shortly'));
  }
  host.record.trace(policy, 'backend down (circuit open): running the function uncached');
  return yield { type: 'calculate', key, policy, uncached: true };
}

function* releaseQuietly(host: MemoHost, key: string, owner: string): Flow {
  try {
    yield { type: 'release', key, owner };
  } catch (error) {
    // The lease will expire on its own; a waiter then takes over.
    noteBackendFault(host, error instanceof BackendFailure ? error.error : error);
  }
  return undefined;
}

/** A background refresh (nextTime): only if nobody else is already calculating the key. */
export function* refreshFlow(host: MemoHost, key: string, policy: CallPolicy): Flow {
  const owner = newOwner();
  const epoch = host.epoch;
  const now = host.settings.clock();
  const outcome: AcquireOutcome = yield { type: 'acquire', key, claim: { owner, now, leaseUntil: now + host.settings.lease } };
  if (!outcome.acquired) return undefined;
  return yield* compute(host, key, policy, owner, epoch);
}
