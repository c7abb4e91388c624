/**
 * The offset between the database's clock and this process's wall clock, so entry times can
 * be stored on the database's timeline: an entry written by a machine whose clock is five
 * minutes ahead is not five minutes older for everyone else. Measured from the best of a few
 * round trips (the one with the shortest RTT bounds the error by half of it), then re-measured
 * now and then in the background; a new value is adopted only when the clock moved by more
 * than a second (a step), so entry times round-trip exactly within a process.
 */
const SAMPLES = 3;
const REMEASURE_AFTER_MS = 10 * 60_000;
const STEP_MS = 1_000;

export async function measureOffset(dbNow: () => Promise<number>): Promise<number> {
  let best = { rtt: Number.POSITIVE_INFINITY, offset: 0 };
  for (let i = 0; i < SAMPLES; i++) {
    const before = Date.now();
    const db = await dbNow();
    const after = Date.now();
    // The database floors to a millisecond: its true reading is half a millisecond later.
    const offset = db + 0.5 - (before + after) / 2;
    if (after - before < best.rtt) best = { rtt: after - before, offset };
  }
  return Math.round(best.offset);
}

/**
 * A per-connection offset: measured on first use (the caller awaits that one measurement),
 * then returned as a plain number, so the hot path pays no await; refreshed lazily.
 */
export function offsetTracker(dbNow: () => Promise<number>): () => number | Promise<number> {
  let known: number | undefined;
  let measuring: Promise<number> | undefined;
  let measuredAt = 0;
  let refreshing = false;
  return () => {
    if (known === undefined) {
      measuring ??= measureOffset(dbNow).then(
        (offset) => {
          known = offset;
          measuredAt = Date.now();
          return offset;
        },
        (error) => {
          measuring = undefined; // the next call tries again
          throw error;
        },
      );
      return measuring;
    }
    if (!refreshing && Date.now() - measuredAt > REMEASURE_AFTER_MS) {
      refreshing = true;
      measuredAt = Date.now();
      measureOffset(dbNow)
        .then((fresh) => {
          if (Math.abs(fresh - (known as number)) > STEP_MS) known = fresh;
        })
        .catch(() => undefined) // a failed refresh keeps the old value
        .finally(() => {
          refreshing = false;
        });
    }
    return known;
  };
}
