import { MemoirError } from '../errors';

export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return value instanceof Promise;
}

export function isTimeout(error: unknown): boolean {
  return error instanceof MemoirError && error.code === 'TIMEOUT';
}

/**
 * Per-command timeouts, for the key-value caches and the server backends alike, without a timer
 * per command: a command of a remote store costs tens of
 * microseconds, and arming and clearing a timer for each was a visible share of that. Commands
 * in flight register a deadline; one sweeper, running only while some are in flight, rejects
 * the expired ones, so a command times out between `ms` and `ms + TICK_MS` after it started.
 *
 * The sweeper is ref'd on purpose (a caller waiting on a command keeps the process alive) and
 * stops when nothing is in flight. After a stall (a busy or starved process) the replies may
 * already sit in the socket when the sweeper fires: expired commands are rejected only after
 * this turn's I/O had its chance to resolve them.
 */
const TICK_MS = 20;

interface Pending {
  deadline: number;
  ms: number;
  what: () => string;
  reject(error: unknown): void;
  /** Told when the work timed out, with when it started (a store may drop a dead connection). */
  onTimeout?: (startedAt: number) => void;
  /** Where it sits in `inFlight`; -1 once answered or expired. */
  slot: number;
}

/**
 * The deadlines in flight, in no order. An array with each deadline's slot rather than a Set:
 * adding an object to a Set and deleting it costs about a microsecond per command where
 * commands come and go through the event loop (V8 has to give each new object its identity
 * hash), as much as a tenth of a SQL hit.
 */
const inFlight: Pending[] = [];

function add(pending: Pending): void {
  pending.slot = inFlight.length;
  inFlight.push(pending);
}

/** Takes `pending` out; false if it was out already. */
function remove(pending: Pending): boolean {
  const { slot } = pending;
  if (slot < 0) return false;
  const last = inFlight.pop() as Pending;
  if (last !== pending) {
    inFlight[slot] = last;
    last.slot = slot;
  }
  pending.slot = -1;
  return true;
}
let sweeper: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = Date.now();
  const expired: Pending[] = [];
  for (const pending of inFlight) if (pending.deadline <= now) expired.push(pending);
  if (expired.length > 0) {
    setImmediate(() => {
      for (const pending of expired) {
        if (!remove(pending)) continue; // answered in the meantime
        pending.onTimeout?.(pending.deadline - pending.ms);
        pending.reject(new MemoirError('TIMEOUT', `${pending.what()} did not complete within ${pending.ms} ms (option "timeout").`));
      }
      if (inFlight.length === 0) stopSweeper();
    });
  } else if (inFlight.length === 0) stopSweeper();
}

function stopSweeper(): void {
  clearInterval(sweeper);
  sweeper = undefined;
}

/** A registered deadline (see armDeadline). */
export type Deadline = object;

/**
 * The deadline of work that settles through a callback (a driver's callback API: no promise
 * of the driver's plus one of ours per command): `reject` is called with TIMEOUT `ms` after now
 * unless `disarm` comes first. Undefined for no limit (0 or Infinity).
 */
export function armDeadline(
  ms: number,
  what: () => string,
  reject: (error: unknown) => void,
  onTimeout?: (startedAt: number) => void,
): Deadline | undefined {
  if (!(ms > 0) || ms === Number.POSITIVE_INFINITY) return undefined;
  const pending: Pending = { deadline: Date.now() + ms, ms, what, reject, onTimeout, slot: -1 };
  add(pending);
  sweeper ??= setInterval(sweep, Math.max(5, Math.min(TICK_MS, ms)));
  return pending;
}

/** Ends a deadline; false when it already fired (the work's outcome is then to be ignored). */
export function disarm(deadline: Deadline | undefined): boolean {
  return deadline === undefined || remove(deadline as Pending);
}

/**
 * Work a driver reports through a callback, as one promise bounded by `ms` (0: no limit);
 * `decode` turns the driver's result into the answer inside the callback, so a command costs
 * this promise and nothing per layer. A throw from `start` or `decode` rejects it.
 */
export function callbackWithin<R, T = R>(
  ms: number,
  what: () => string,
  start: (done: (error: Error | null | undefined, result: R) => void) => void,
  decode?: (result: R) => T,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const deadline = armDeadline(ms, what, reject);
    try {
      start((error, result) => {
        if (!disarm(deadline)) return; // timed out: a late answer is ignored
        if (error) reject(error);
        else if (decode === undefined) resolve(result as unknown as T);
        else {
          try {
            resolve(decode(result));
          } catch (failure) {
            reject(failure);
          }
        }
      });
    } catch (error) {
      disarm(deadline);
      reject(error);
    }
  });
}

/**
 * Rejects with `TIMEOUT` when `work` takes longer than `ms` (0: no limit). What the work
 * already did is not undone; its late outcome is ignored.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: () => string, onTimeout?: (startedAt: number) => void): Promise<T> {
  if (!(ms > 0) || ms === Number.POSITIVE_INFINITY) return work;
  return new Promise<T>((resolve, reject) => {
    const deadline = armDeadline(ms, what, reject, onTimeout);
    work.then(
      (value) => {
        if (disarm(deadline)) resolve(value);
      },
      (error) => {
        if (disarm(deadline)) reject(error);
      },
    );
  });
}
