import { performance } from 'node:perf_hooks';
import type { CallPolicy } from '../config';
import { type Core, isLive } from '../contract';
import { FRESH, freshness, type Memo, newOwner, STALE, startRenewal } from '../engine';
import { MemoirError } from '../errors';
import { assemble, type Id, type IdsSite, type Shape, shapeOf, valueFor } from './ids';

/**
 * One call of a multiCached function, as a batch over its ids on the memoized function's core:
 *
 *   1. read every id's entry; fresh ones answer (stale ones too with nextTime, refreshed after);
 *   2. join the ids this process is already computing (the memo's single-flight, per id key);
 *   3. mark the rest, atomically per id as cached() does; the function runs ONCE for the ids
 *      this call marked, renewing their marks while it runs, and each returned id is written
 *      under its own key (unless an invalidation fenced it meanwhile);
 *   4. ids marked by another caller (another process) are waited for, and taken over if that
 *      caller dies (its lease lapses) or `waitForCalcTimeout` runs out.
 */
export interface MultiState {
  /** How the function answers, once known (from a call, or from the stored marker). */
  shape: Shape | undefined;
}

/** The stored marker of the function's answer shape, so a process that only hits knows it. */
const SHAPE_KEY = '~multiCached.shape';
const MAX_POLL_MS = 250;

interface Call {
  memo: Memo;
  state: MultiState;
  policy: CallPolicy;
  self: unknown;
  site: IdsSite;
  keys: Map<Id, string>;
  values: Map<Id, unknown>;
}

type Deferred = { promise: Promise<unknown>; resolve(value: unknown): void; reject(error: unknown): void };

function deferred(): Deferred {
  let resolve!: (value: unknown) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<unknown>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  promise.catch(() => undefined); // its own caller sees the error; joiners get it through their await
  return { promise, resolve, reject };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function multiCall(memo: Memo, state: MultiState, policy: CallPolicy, self: unknown, site: IdsSite): Promise<unknown> {
  const unique = [...new Set(site.ids)];
  const keys = new Map(unique.map((id) => [id, memo.keyFor(site.withIds(id), self)]));
  const call: Call = { memo, state, policy, self, site, keys, values: new Map() };
  let core: Core;
  let missing: Id[];
  const stale: Id[] = [];
  try {
    core = memo.core();
    missing = policy.overwrite ? unique : await lookUp(call, core, unique, stale);
  } catch (error) {
    return runUncached(call, unique, error);
  }

  const joined: Array<Promise<void>> = [];
  const toClaim: Id[] = [];
  for (const id of missing) {
    const running = memo.inFlight.running(keys.get(id)!);
    if (running && !policy.overwrite) {
      memo.record.wait(keys.get(id)!, policy, 'this process');
      joined.push(running.then((value) => void (value !== undefined && call.values.set(id, value))));
    } else toClaim.push(id);
  }
  try {
    await Promise.all([claimAndCompute(call, core, toClaim), ...joined]);
  } catch (error) {
    if (!(error instanceof BackendTrouble)) throw error;
    return runUncached(call, toClaim, error.error);
  }
  if (stale.length > 0) refreshLater(call, core, stale);
  return assemble(await shapeFor(memo, state), site.ids, call.values);
}

/** Step 1: the entries of `ids`; returns the ids that need computing. */
async function lookUp(call: Call, core: Core, ids: Id[], stale: Id[]): Promise<Id[]> {
  const { memo, policy, keys, values } = call;
  const entries = await Promise.all(ids.map((id) => core.get(keys.get(id)!)));
  const missing: Id[] = [];
  ids.forEach((id, i) => {
    const key = keys.get(id)!;
    const state = freshness(entries[i], policy, memo.settings.clock);
    if (state === FRESH || (state === STALE && policy.nextTime)) {
      if (state === FRESH) memo.record.hit(key, policy);
      else {
        memo.record.staleHit(key, policy);
        stale.push(id);
      }
      values.set(id, entries[i]!.value);
      return;
    }
    memo.record.miss(key, policy, state === STALE ? 'stale' : 'missing');
    missing.push(id);
  });
  return missing;
}

/** A storage failure inside the batch: the call falls back to running the function uncached. */
class BackendTrouble {
  constructor(readonly error: unknown) {}
}

async function storage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new BackendTrouble(error);
  }
}

/** Step 3 and 4 for `ids`: mark what can be marked and compute it in one call; wait for the rest. */
async function claimAndCompute(call: Call, core: Core, ids: Id[]): Promise<void> {
  if (ids.length === 0) return;
  const { memo, policy, keys, values } = call;
  const owner = newOwner();
  const epoch = memo.epoch;
  const now = memo.settings.clock();
  const claim = { owner, now, leaseUntil: now + memo.settings.lease };
  const outcomes = await storage(() => Promise.all(ids.map((id) => core.acquire(keys.get(id)!, claim))));
  const mine: Id[] = [];
  const others: Id[] = [];
  for (const [i, id] of ids.entries()) {
    const outcome = outcomes[i];
    if (!outcome.acquired) {
      memo.record.wait(keys.get(id)!, policy, outcome.entry.processing?.owner);
      others.push(id);
    } else if (!policy.overwrite && freshness(outcome.entry, policy, memo.settings.clock) === FRESH) {
      // Completed by another caller between our read and our mark.
      values.set(id, outcome.entry.value);
      await storage(() => core.release(keys.get(id)!, owner));
    } else mine.push(id);
  }
  await Promise.all([compute(call, core, mine, owner, epoch), waitForOthers(call, core, others)]);
}

/** Runs the function once for `ids` and stores each result under its own key. */
async function compute(call: Call, core: Core, ids: Id[], owner: string | undefined, epoch: number): Promise<void> {
  if (ids.length === 0) return;
  const { memo, policy, keys, values, state } = call;
  const { settings } = memo;
  const pending = new Map(ids.map((id) => [id, deferred()]));
  for (const id of ids) {
    memo.inFlight.track(keys.get(id)!, pending.get(id)!.promise);
    memo.record.recalculation(keys.get(id)!, policy);
  }
  const ticket = memo.fences.enter();
  const renewals = owner === undefined ? [] : ids.map((id) => startRenewal(core, keys.get(id)!, owner, settings.lease, settings.clock, (error) => memo.record.backendIncident(error)));
  try {
    let result: unknown;
    try {
      result = await memo.fn.apply(call.self, call.site.withIds(ids));
    } catch (error) {
      for (const waiter of pending.values()) waiter.reject(error);
      if (owner !== undefined) await releaseQuietly(memo, core, ids.map((id) => keys.get(id)!), owner);
      throw error; // never cached; callers of these ids in this process get the same error
    } finally {
      for (const stop of renewals) stop();
    }
    const shape = shapeOf(result, memo.name);
    if (state.shape === undefined) {
      state.shape = shape;
      await core.write(SHAPE_KEY, shape, { time: settings.clock() }).catch((error) => memo.record.backendIncident(error));
    }
    const byId = result as Map<unknown, unknown> | Record<string, unknown>;
    const fencedAll = memo.epoch !== epoch;
    await Promise.all(
      ids.map(async (id) => {
        const key = keys.get(id)!;
        const { found, value } = valueFor(byId, id);
        if (found) values.set(id, value);
        pending.get(id)!.resolve(found ? value : undefined);
        const storable = found ? value != null || settings.allowNone : settings.allowNone;
        const fenced = fencedAll || memo.fences.isFenced(key, ticket);
        try {
          if (storable && !fenced) {
            const stored = await core.write(key, found ? value : undefined, { time: settings.clock(), owner, sizeLimit: settings.entrySizeLimit });
            if (stored === false) memo.record.sizeRejection(key, policy);
          } else if (owner !== undefined) await core.release(key, owner);
        } catch (error) {
          memo.record.backendIncident(error); // the caller still gets its value
        }
      }),
    );
  } finally {
    memo.fences.leave();
  }
}

async function releaseQuietly(memo: Memo, core: Core, keys: string[], owner: string): Promise<void> {
  await Promise.all(keys.map((key) => core.release(key, owner).catch((error) => memo.record.backendIncident(error))));
}

/**
 * Step 4: polls each id marked by someone else until its value lands (done), its mark dies
 * (taken over, in one batch) or `waitForCalcTimeout` runs out (computed without a mark).
 */
async function waitForOthers(call: Call, core: Core, ids: Id[]): Promise<void> {
  if (ids.length === 0) return;
  const { memo, policy, keys, values } = call;
  const timeout = memo.settings.waitForCalcTimeout;
  const deadline = timeout > 0 ? performance.now() + timeout : Number.POSITIVE_INFINITY;
  const takeOver: Id[] = [];
  const timedOut: Id[] = [];
  await Promise.all(
    ids.map(async (id) => {
      const key = keys.get(id)!;
      for (let delay = 5; ; delay = Math.min(delay * 2, MAX_POLL_MS)) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) {
          memo.record.waitTimeout(key, policy);
          timedOut.push(id);
          return;
        }
        const ms = Math.min(delay, remaining);
        await (core.waitForChange ? Promise.race([core.waitForChange(key, ms), sleep(ms)]) : sleep(ms));
        const entry = await storage(() => core.get(key));
        if (freshness(entry, policy, memo.settings.clock) === FRESH) {
          values.set(id, entry!.value);
          return;
        }
        if (!isLive(entry?.processing, memo.settings.clock())) {
          takeOver.push(id);
          return;
        }
      }
    }),
  );
  await Promise.all([claimAndCompute(call, core, takeOver), compute(call, core, timedOut, undefined, memo.epoch)]);
}

/** nextTime: the stale ids this call answered are recomputed in the background, in one batch. */
function refreshLater(call: Call, core: Core, ids: Id[]): void {
  const { memo } = call;
  const fresh: Call = { ...call, policy: { ...call.policy, overwrite: true }, values: new Map() };
  setImmediate(() => {
    const free = ids.filter((id) => !memo.inFlight.running(call.keys.get(id)!));
    claimAndCompute(fresh, core, free).catch((error) =>
      memo.record.warnOnce(`multi-refresh:${memo.name}`, `background refresh of "${memo.name}" failed: ${String(error instanceof BackendTrouble ? error.error : error)}`),
    );
  });
}

/** The function's answer shape: known in this process, else recorded by an earlier call. */
export async function shapeFor(memo: Memo, state: MultiState): Promise<Shape> {
  if (state.shape) return state.shape;
  const entry = await memo.core().get(SHAPE_KEY).catch(() => undefined);
  state.shape = entry?.value === 'map' ? 'map' : 'record';
  return state.shape;
}

/** The backend failed: the function still runs for the ids not answered yet (or it throws, in 'throw' mode). */
async function runUncached(call: Call, ids: Id[], error: unknown): Promise<unknown> {
  const { memo, site, values, state } = call;
  if (memo.settings.onBackendError === 'throw') {
    throw error instanceof MemoirError ? error : new MemoirError('BACKEND_ERROR', `Cache "${memo.name}": ${String((error as Error)?.message ?? error)}`, { cause: error });
  }
  memo.record.backendIncident(error);
  if (ids.length > 0) {
    const result = await memo.fn.apply(call.self, site.withIds(ids));
    state.shape ??= shapeOf(result, memo.name);
    for (const id of ids) {
      const { found, value } = valueFor(result as Map<unknown, unknown>, id);
      if (found) values.set(id, value);
    }
  }
  return assemble(state.shape ?? 'record', site.ids, values);
}
