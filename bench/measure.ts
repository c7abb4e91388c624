/**
 * Timing utilities: per-call cost as the median of several timed batches after a warm-up,
 * and the stampede probe (many concurrent callers of one key).
 */

export interface TimingConfig {
  /** Minimum time spent calling before measuring, so the JIT has settled. */
  warmupMs: number;
  /** Target length of one timed batch; the batch size is calibrated from the warm-up. */
  batchMs: number;
  /** Timed batches; the median batch is reported. */
  batches: number;
}

export const FULL_TIMING: TimingConfig = { warmupMs: 150, batchMs: 20, batches: 15 };
export const QUICK_TIMING: TimingConfig = { warmupMs: 5, batchMs: 2, batches: 5 };

export interface Timing {
  /** Median over batches of ns per call. */
  medianNs: number;
  /** Fastest and slowest batch, ns per call: the spread says how far to trust the median. */
  minNs: number;
  maxNs: number;
  /** Calls per timed batch. */
  batchSize: number;
}

/** Holds the last result so the JIT cannot drop calls whose value nobody reads. */
const sink: { value: unknown } = { value: undefined };

const nowNs = () => process.hrtime.bigint();

function summarize(perCall: number[], batchSize: number): Timing {
  const sorted = [...perCall].sort((a, b) => a - b);
  return {
    medianNs: sorted[Math.floor(sorted.length / 2)],
    minNs: sorted[0],
    maxNs: sorted[sorted.length - 1],
    batchSize,
  };
}

/** Calls per batch so one batch lasts about `batchMs`, from a warm-up run of `elapsedNs`. */
function batchSizeFor(calls: number, elapsedNs: number, config: TimingConfig): number {
  const perCall = Math.max(elapsedNs / calls, 0.1);
  return Math.max(10, Math.round((config.batchMs * 1e6) / perCall));
}

/** Median ns per call of a synchronous `call`; `i` lets a call vary its argument. */
export function timeSync(call: (i: number) => unknown, config: TimingConfig): Timing {
  // Warm-up doubles its run length until it has lasted warmupMs; its last run calibrates.
  let calls = 64;
  let elapsed = 0;
  let spent = 0;
  while (spent < config.warmupMs * 1e6) {
    const start = nowNs();
    for (let i = 0; i < calls; i++) sink.value = call(i);
    elapsed = Number(nowNs() - start);
    spent += elapsed;
    if (spent < config.warmupMs * 1e6) calls *= 2;
  }
  const batchSize = batchSizeFor(calls, elapsed, config);
  const perCall: number[] = [];
  for (let b = 0; b < config.batches; b++) {
    const start = nowNs();
    for (let i = 0; i < batchSize; i++) sink.value = call(i);
    perCall.push(Number(nowNs() - start) / batchSize);
  }
  return summarize(perCall, batchSize);
}

/** Median ns per awaited call of an async `call`, one call in flight at a time. */
export async function timeAsync(
  call: (i: number) => Promise<unknown>,
  config: TimingConfig,
): Promise<Timing> {
  let calls = 64;
  let elapsed = 0;
  let spent = 0;
  while (spent < config.warmupMs * 1e6) {
    const start = nowNs();
    for (let i = 0; i < calls; i++) sink.value = await call(i);
    elapsed = Number(nowNs() - start);
    spent += elapsed;
    if (spent < config.warmupMs * 1e6) calls *= 2;
  }
  const batchSize = batchSizeFor(calls, elapsed, config);
  const perCall: number[] = [];
  for (let b = 0; b < config.batches; b++) {
    // Let timers and I/O callbacks a library scheduled run between batches, not inside one.
    await new Promise((resolve) => setImmediate(resolve));
    const start = nowNs();
    for (let i = 0; i < batchSize; i++) sink.value = await call(i);
    perCall.push(Number(nowNs() - start) / batchSize);
  }
  return summarize(perCall, batchSize);
}

export interface StampedeResult {
  callers: number;
  /** How many times the body started (by the cut-off, when there was one). */
  bodyRuns: number;
  fulfilled: number;
  rejected: number;
  /** Distinct fulfilled values plus distinct rejection messages (1 when all agree). */
  distinctOutcomes: number;
  /** True when not every caller had settled by the cut-off; counts are as of then. */
  cutOff: boolean;
  /** Whether a call made after everything settled ran the body again; undefined if cut off. */
  nextCallReran?: boolean;
  wallMs: number;
}

/**
 * Starts `callers` calls of one key in the same tick and waits for all of them, at most
 * `capMs` (a library that retries a failing body once per waiter, one at a time, would
 * otherwise hold the run for callers x body time). Then, after a timer tick, makes one more
 * call to see whether the outcome was kept: a value should be, an error should not.
 */
export async function stampede(
  call: () => Promise<unknown>,
  runs: () => number,
  callers: number,
  capMs: number,
): Promise<StampedeResult> {
  const started = performance.now();
  const outcomes = new Set<unknown>();
  let fulfilled = 0;
  let rejected = 0;
  const pending: Promise<void>[] = [];
  for (let n = 0; n < callers; n++) {
    let promise: Promise<unknown>;
    try {
      promise = call();
    } catch (error) {
      promise = Promise.reject(error);
    }
    pending.push(
      promise.then(
        (value) => {
          fulfilled++;
          outcomes.add(value);
        },
        (error: unknown) => {
          rejected++;
          outcomes.add(`error: ${error instanceof Error ? error.message : String(error)}`);
        },
      ),
    );
  }
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<'cut'>((resolve) => {
    timer = setTimeout(() => resolve('cut'), capMs);
  });
  const cutOff = (await Promise.race([Promise.all(pending), cap])) === 'cut';
  clearTimeout(timer);
  const wallMs = performance.now() - started;
  const result: StampedeResult = {
    callers,
    bodyRuns: runs(),
    fulfilled,
    rejected,
    distinctOutcomes: outcomes.size,
    cutOff,
    wallMs,
  };
  if (!cutOff) {
    // A timer tick first: some libraries drop a rejected promise a tick after it settles.
    await new Promise((resolve) => setTimeout(resolve, 1));
    await call().catch(() => undefined);
    result.nextCallReran = runs() > result.bodyRuns;
  }
  return result;
}
