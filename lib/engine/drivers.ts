import type { Core, StoreOperations } from '../contract/core';
import { BackendFailure, type CallSite, calculateFlow, compute, type Flow, type Op } from './flow';
import type { Memo } from './memo';
import { sleep, sleepSync } from '../util/sleep';
import type { CallPolicy } from './settings';

/**
 * Runs a flow (see flow.ts). Storage errors are thrown into the flow wrapped in
 * BackendFailure so it can fall back; the user's errors are thrown into it as they are.
 */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

type StorageOp = Exclude<Op, { type: 'run' | 'calculate' }>;

function performSync(ops: StoreOperations<'sync'>, op: StorageOp): unknown {
  switch (op.type) {
    case 'get':
      return ops.get(op.key);
    case 'acquire':
      return ops.acquire(op.key, op.claim);
    case 'release':
      return ops.release(op.key, op.owner);
    case 'write':
      return ops.write(op.key, op.value, op.options);
    case 'pause':
      return sleepSync(op.ms);
  }
}

function performAsync(core: Core, op: StorageOp): Promise<unknown> {
  switch (op.type) {
    case 'get':
      return core.get(op.key);
    case 'acquire':
      return core.acquire(op.key, op.claim);
    case 'release':
      return core.release(op.key, op.owner);
    case 'write':
      return core.write(op.key, op.value, op.options);
    case 'pause':
      return pause(core, op.key, op.ms);
  }
}

/** Wakes early on the core's change notification, and always within `ms`. */
async function pause(core: Core, key: string, ms: number): Promise<void> {
  if (!core.waitForChange) return sleep(ms);
  // The timer is ref'd on purpose: a caller waiting for a result keeps the process alive.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    core.waitForChange(key, ms),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/**
 * Drives a flow with sync storage. If the function turns out to return a promise, the rest
 * of the flow continues asynchronously and the promise of its outcome is returned.
 */
export function driveSync(memo: Memo, flow: Flow, site: CallSite, ops: StoreOperations<'sync'>): unknown {
  let input: unknown;
  let thrown: { error: unknown } | undefined;
  for (;;) {
    const step = thrown ? flow.throw(thrown.error) : flow.next(input);
    thrown = undefined;
    if (step.done) return step.value;
    const op = step.value;
    if (op.type === 'calculate') {
      // Sync callers cannot overlap in-process; a calculation that turns out async is shared.
      try {
        input = driveSync(memo, calculateFlow(memo, op.key, op.policy), site, ops);
        if (input instanceof Promise) memo.track(op.key, input);
      } catch (error) {
        thrown = { error };
      }
      continue;
    }
    if (op.type === 'run') {
      let result: unknown;
      try {
        result = memo.fn.apply(site.self, site.args as unknown[]);
      } catch (error) {
        thrown = { error };
        continue;
      }
      if (isThenable(result)) {
        memo.learnAsync();
        return driveAsync(memo, flow, site, { op, result });
      }
      input = result;
      continue;
    }
    try {
      input = performSync(ops, op);
    } catch (error) {
      thrown = { error: new BackendFailure(error) };
    }
  }
}

/** Drives a flow with async storage; `started` resumes a flow whose function already returned a promise. */
export async function driveAsync(
  memo: Memo,
  flow: Flow,
  site: CallSite,
  started?: { op: Extract<Op, { type: 'run' }>; result: PromiseLike<unknown> },
): Promise<unknown> {
  const core = memo.openCore();
  let input: unknown;
  let thrown: { error: unknown } | undefined;
  if (started) {
    try {
      input = await memo.whileRenewing(started.op, () => started.result);
    } catch (error) {
      thrown = { error };
    }
  }
  for (;;) {
    const step = thrown ? flow.throw(thrown.error) : flow.next(input);
    thrown = undefined;
    if (step.done) return step.value;
    const op = step.value;
    if (op.type === 'calculate') {
      try {
        input = await memo.calculateOnce(op.key, op.policy, site);
      } catch (error) {
        thrown = { error };
      }
      continue;
    }
    if (op.type === 'run') {
      try {
        input = await memo.whileRenewing(op, () => memo.fn.apply(site.self, site.args as unknown[]));
      } catch (error) {
        thrown = { error };
      }
      continue;
    }
    try {
      input = await performAsync(core, op);
    } catch (error) {
      thrown = { error: new BackendFailure(error) };
    }
  }
}

const TIMED_OUT = Symbol('timed out');

/**
 * A caller joining a calculation already running in this process gives up after
 * `waitForCalcTimeout` like a waiter on another process's mark does, and computes itself
 * (without a mark: the running calculation still holds it). Measured in real time: the
 * calculation it waits on runs in real time too.
 */
export function joinInFlight(
  memo: Memo,
  inFlight: Promise<unknown>,
  key: string,
  policy: CallPolicy,
  site: CallSite,
): Promise<unknown> {
  const timeout = memo.settings.waitForCalcTimeout;
  if (!(timeout > 0 && Number.isFinite(timeout))) return inFlight;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, timeout, TIMED_OUT);
  });
  const settled = Promise.race([inFlight, expired]).finally(() => clearTimeout(timer));
  return settled.then((winner) => {
    if (winner !== TIMED_OUT) return winner;
    memo.record.waitTimeout(key, policy);
    return driveAsync(memo, compute(memo, key, policy, undefined, memo.epoch), site);
  });
}
