/** Counters of one memoized function, as returned by `fn.stats()`. */
export interface CacheStats {
  /** Calls answered from a fresh entry. */
  hits: number;
  /** Calls that found no usable entry. */
  misses: number;
  /** Calls answered with a stale entry while it refreshes (`nextTime`). */
  staleHits: number;
  /** Times the function body ran on behalf of the cache (misses, stale entries, overwrites, refreshes). */
  recalculations: number;
  /** Calls that waited for another caller's calculation (this process or another). */
  waits: number;
  /** Waits that gave up after `waitForCalcTimeout` and computed themselves. */
  waitTimeouts: number;
  /** Results not stored because they exceeded `entrySizeLimit`. */
  sizeLimitRejections: number;
  /** Backend incidents: failures after a healthy spell (each reported once, however many calls met it). */
  backendErrors: number;
}

export function emptyStats(): CacheStats {
  return {
    hits: 0,
    misses: 0,
    staleHits: 0,
    recalculations: 0,
    waits: 0,
    waitTimeouts: 0,
    sizeLimitRejections: 0,
    backendErrors: 0,
  };
}
