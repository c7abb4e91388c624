/**
 * The engine's sense of time for waiting: a monotonic clock and timers, looked up when used
 * (never captured at import) so that Jest's fake timers, which replace `performance`,
 * `setTimeout` and `Date` together, drive waiting, joining, lease renewal and background
 * refresh as one consistent fake time.
 *
 * Timeouts and polling use `elapsed()`: the `clock` option governs entry ages and leases only,
 * so a frozen or backwards clock (or a wall-clock step) never stretches a wait.
 */

/** Milliseconds on a clock that never goes backwards. */
export function elapsed(): number {
  return performance.now();
}

export { sleep, sleepSync } from '../util';

/** Runs `tick` every `ms` until the returned stop function is called; never keeps the process alive. */
export function repeatUnref(tick: () => void, ms: number): () => void {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
}

const EXPIRED = Symbol('expired');

/** Resolves with `onTimeout()`'s promise if `promise` has not settled within `ms`. */
export function settleWithin<T>(promise: Promise<T>, ms: number, onTimeout: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<typeof EXPIRED>((resolve) => {
    timer = setTimeout(resolve, ms, EXPIRED);
  });
  return Promise.race([promise, expired])
    .finally(() => clearTimeout(timer))
    .then((winner) => (winner === EXPIRED ? onTimeout() : winner));
}
