import type { Core, StoreOperations } from '../contract';
import { BackendFailure, noteBackendFault } from './backend-failure';
import { calculateFlow, compute, type Flow, type Op, runUncached } from './flow';
import type { CallSite, MemoHost } from './host';
import { startRenewal } from './lease';
import { settleWithin, sleep, sleepSync } from './timers';

/**
 * Run a flow (flow.ts) against a core. Storage errors are thrown into the flow wrapped in
 * BackendFailure so it can fall back; the user's errors are thrown into it as they are.
 */
type StorageOp = Exclude<Op, { type: 'run' | 'calculate' }>;
type RunOp = Extract<Op, { type: 'run' }>;
type CalculateOp = Extract<Op, { type: 'calculate' }>;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** One storage operation on a core's sync or async operations; pausing is the driver's own. */
function perform<Ops extends StoreOperations<'sync'> | Core>(
  ops: Ops,
  op: StorageOp,
  pauseFor: (ops: Ops, key: string, ms: number) => unknown,
): unknown {
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
      return pauseFor(ops, op.key, op.ms);
  }
}

const pauseSync = (_ops: unknown, _key: string, ms: number) => sleepSync(ms);

/** Wakes early on the core's change notification, and always within `ms`. */
function pause(core: Core, key: string, ms: number): Promise<void> {
  if (!core.waitForChange) return sleep(ms);
  return settleWithin(core.waitForChange(key, ms), ms, () => Promise.resolve());
}

function calculationFlow(host: MemoHost, op: CalculateOp): Flow {
  return op.uncached ? runUncached(op.key) : calculateFlow(host, op.key, op.policy);
}

/**
 * Drives a flow with sync storage. If the function turns out to return a promise, the rest
 * of the flow continues asynchronously and the promise of its outcome is returned.
 */
export function driveSync(host: MemoHost, flow: Flow, site: CallSite, ops: StoreOperations<'sync'>): unknown {
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
        input = driveSync(host, calculationFlow(host, op), site, ops);
        if (input instanceof Promise) host.inFlight.track(op.key, input);
      } catch (error) {
        thrown = { error };
      }
      continue;
    }
    if (op.type === 'run') {
      let result: unknown;
      try {
        result = host.fn.apply(site.self, site.args as unknown[]);
      } catch (error) {
        thrown = { error };
        continue;
      }
      if (isThenable(result)) {
        host.learnAsync();
        return driveAsync(host, flow, site, { op, result });
      }
      input = result;
      continue;
    }
    try {
      input = perform(ops, op, pauseSync);
      host.breaker.succeeded();
    } catch (error) {
      thrown = { error: new BackendFailure(error) };
    }
  }
}

/** Drives a flow with async storage; `started` resumes a flow whose function already returned a promise. */
export async function driveAsync(
  host: MemoHost,
  flow: Flow,
  site: CallSite,
  started?: { op: RunOp; result: PromiseLike<unknown> },
): Promise<unknown> {
  let input: unknown;
  let thrown: { error: unknown } | undefined;
  if (started) {
    try {
      input = await whileRenewing(host, started.op, () => started.result);
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
        input = await calculateShared(host, op, site);
      } catch (error) {
        thrown = { error };
      }
      continue;
    }
    if (op.type === 'run') {
      try {
        input = await whileRenewing(host, op, () => host.fn.apply(site.self, site.args as unknown[]));
      } catch (error) {
        thrown = { error };
      }
      continue;
    }
    try {
      input = await perform(host.core(), op, pause);
      host.breaker.succeeded();
    } catch (error) {
      thrown = { error: new BackendFailure(error) };
    }
  }
}

/** What a joined caller's wait ends with when clearBeingCalculated lets it go. */
const RELEASED = Symbol('released');

/**
 * In-process single-flight: one calculation per key, every concurrent caller shares it, also
 * while the backend is down. A caller joining a calculation gives up after
 * `waitForCalcTimeout` like a waiter on another process's mark does, and computes itself
 * (without a mark: the running calculation still holds it).
 */
function calculateShared(host: MemoHost, op: CalculateOp, site: CallSite): Promise<unknown> {
  const running = host.inFlight.running(op.key);
  // An overwrite caller wants a value computed after its call began: it never joins an older run.
  if (!running || op.policy.overwrite) return host.inFlight.track(op.key, driveAsync(host, calculationFlow(host, op), site));
  host.record.wait(op.key, op.policy, 'this process');
  // Let go by clearBeingCalculated (the calculation may hang): start afresh, as a new caller would.
  const joined = Promise.race([running, host.inFlight.whenReleased(running).then(() => RELEASED)]).then((outcome) =>
    outcome === RELEASED ? calculateShared(host, op, site) : outcome,
  );
  const timeout = host.settings.waitForCalcTimeout;
  if (!(timeout > 0 && Number.isFinite(timeout))) return joined;
  return settleWithin(joined, timeout, () => {
    host.record.waitTimeout(op.key, op.policy);
    return driveAsync(host, compute(host, op.key, op.policy, undefined, host.epoch), site);
  });
}

/** Runs the function, renewing the caller's mark until its promise settles. */
async function whileRenewing(host: MemoHost, op: RunOp, run: () => unknown): Promise<unknown> {
  if (op.owner === undefined) return run();
  const { lease, clock } = host.settings;
  const stop = startRenewal(host.core(), op.key, op.owner, lease, clock, (error) => noteBackendFault(host, error));
  try {
    return await run();
  } finally {
    stop();
  }
}
