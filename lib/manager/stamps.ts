/**
 * Orders the changes of processes that share one saved cache: every set, delete, clear and
 * invalidation gets a stamp, and when two processes' saves meet, the later stamp wins per key
 * (a clear or invalidation wins over every change stamped before it).
 *
 * A stamp is wall-clock microseconds, made strictly increasing within the process and pushed
 * past every stamp the process has read from a saved file (a hybrid logical clock). So a
 * change made after this process saw an invalidation is stamped after it, even if the clock
 * of the process that invalidated ran ahead; across processes on one machine the wall clock
 * orders the rest. Integers stay exact: 2^53 µs is year 2255.
 */
/**
 * Wall-clock milliseconds with a sub-millisecond part, for stamps: `Date.now()` has only
 * millisecond resolution, so two processes changing and invalidating within one millisecond
 * could not be told apart. The fraction comes from the monotonic clock (`performance`),
 * clamped into the current wall-clock millisecond, so drift between the two clocks over a long
 * run can never move a stamp out of the millisecond the wall clock says it is.
 */
export function preciseWallClockMs(): number {
  const wall = Date.now();
  const precise = performance.timeOrigin + performance.now();
  return Math.min(Math.max(precise, wall), wall + 0.999);
}

export class StampClock {
  private last = 0;

  constructor(private readonly nowMs: () => number) {}

  next(): number {
    this.last = Math.max(Math.floor(this.nowMs() * 1000), this.last + 1);
    return this.last;
  }

  /** A stamp seen in saved contents: later local stamps come after it. */
  observe(stamp: number): void {
    if (stamp > this.last) this.last = stamp;
  }
}
