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

/** A per-connection offset: measured on first use, refreshed lazily, never blocking a call twice. */
export function offsetTracker(dbNow: () => Promise<number>): () => Promise<number> {
  let current: Promise<number> | undefined;
  let measuredAt = 0;
  let refreshing = false;
  return () => {
    if (!current) {
      measuredAt = Date.now();
      current = measureOffset(dbNow).catch((error) => {
        current = undefined; // the next call tries again
        throw error;
      });
      return current;
    }
    if (!refreshing && Date.now() - measuredAt > REMEASURE_AFTER_MS) {
      refreshing = true;
      measuredAt = Date.now();
      const previous = current;
      measureOffset(dbNow)
        .then(async (fresh) => {
          if (Math.abs(fresh - (await previous)) > STEP_MS) current = Promise.resolve(fresh);
        })
        .catch(() => undefined) // a failed refresh keeps the old value
        .finally(() => {
          refreshing = false;
        });
    }
    return current;
  };
}
