/**
 * Timing utilities: per-call cost as the median of several timed batches after a warm-up,
 * and the stampede probe (many concurrent callers of one key).
 */

export interface TimingConfig {
  /** Minimum time spent calling before measuring, so the JIT has settled. */
  warmupMs: number;
  /**
   * Minimum calls before measuring, for subjects so slow (a round trip each) that warmupMs
   * passes before V8 has optimized the code around them.
   */
  warmupCalls?: number;
  /** Target length of one timed batch; the batch size is calibrated from the warm-up. */
  batchMs: number;
  /** Timed batches; the median batch is reported. */
  batches: number;
}

export const FULL_TIMING: TimingConfig = { warmupMs: 100, batchMs: 10, batches: 15 };
// Quick mode still warms up long enough for V8 to optimize the object-key path: with 5 ms,
// the nested-object hit measured ~2x its optimized cost.
export const QUICK_TIMING: TimingConfig = { warmupMs: 40, batchMs: 2, batches: 5 };

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

/** A function to time: sync ones are called in a plain loop, async ones awaited one by one. */
export type Subject =
  | { sync: true; call: (i: number) => unknown }
  | { sync: false; call: (i: number) => Promise<unknown> };

function batchSync(call: (i: number) => unknown, calls: number): number {
  const start = nowNs();
  for (let i = 0; i < calls; i++) sink.value = call(i);
  return Number(nowNs() - start);
}

async function batchAsync(call: (i: number) => Promise<unknown>, calls: number): Promise<number> {
  const start = nowNs();
  for (let i = 0; i < calls; i++) sink.value = await call(i);
  return Number(nowNs() - start);
}

/** Total ns for `calls` calls of `subject`. */
function batch(subject: Subject, calls: number): number | Promise<number> {
  return subject.sync ? batchSync(subject.call, calls) : batchAsync(subject.call, calls);
}

/**
 * Warms `subject` up (doubling run lengths until warmupMs has passed, so the JIT settles)
 * and returns the calls per batch that make one batch last about batchMs.
 */
async function calibrate(subject: Subject, config: TimingConfig): Promise<number> {
  let calls = 64;
  let elapsed = 0;
  let spent = 0;
  let made = 0;
  for (;;) {
    elapsed = await batch(subject, calls);
    spent += elapsed;
    made += calls;
    if (spent >= config.warmupMs * 1e6 && made >= (config.warmupCalls ?? 0)) break;
    calls *= 2;
  }
  const perCall = Math.max(elapsed / calls, 0.1);
  return Math.max(10, Math.round((config.batchMs * 1e6) / perCall));
}

/**
 * Median ns per call of every subject, measured in interleaved rounds: each round runs one
 * batch of each subject, so a burst of outside load (a shared CI machine) lands on all of
 * them alike instead of on whichever library happened to be running.
 */
export async function timeInterleaved(
  subjects: Subject[],
  config: TimingConfig,
): Promise<Timing[]> {
  const sizes: number[] = [];
  for (const subject of subjects) sizes.push(await calibrate(subject, config));
  const perCall: number[][] = subjects.map(() => []);
  for (let round = 0; round < config.batches; round++) {
    for (let s = 0; s < subjects.length; s++) {
      // Let timers and I/O callbacks a library scheduled run between batches, not inside one.
      await new Promise((resolve) => setImmediate(resolve));
      perCall[s].push((await batch(subjects[s], sizes[s])) / sizes[s]);
    }
  }
  return subjects.map((_, s) => summarize(perCall[s], sizes[s]));
}

/**
 * Median ns per call of async subjects called in turn, one call of each per round, each call
 * timed on its own. For a round trip to a server, whose latency drifts with the machine's idle
 * states and other processes by more than the few microseconds being compared, this sets side
 * by side calls made microseconds apart instead of batches made milliseconds apart. `minNs` and
 * `maxNs` are the 5th and 95th percentiles of single calls.
 */
export async function timeAlternating(
  calls: Array<(i: number) => Promise<unknown>>,
  config: TimingConfig,
): Promise<Timing[]> {
  const sizes: number[] = [];
  for (const call of calls) sizes.push(await calibrate({ sync: false, call }, config));
  const rounds = Math.min(...sizes) * config.batches;
  const perCall: number[][] = calls.map(() => new Array<number>(rounds));
  for (let round = 0; round < rounds; round++) {
    // Each round starts with the next subject, so none always follows the same neighbour.
    for (let turn = 0; turn < calls.length; turn++) {
      const s = (round + turn) % calls.length;
      const start = nowNs();
      sink.value = await calls[s](round);
      perCall[s][round] = Number(nowNs() - start);
    }
  }
  return perCall.map((times) => {
    const sorted = times.sort((a, b) => a - b);
    const at = (fraction: number) => sorted[Math.floor((sorted.length - 1) * fraction)];
    return { medianNs: at(0.5), minNs: at(0.05), maxNs: at(0.95), batchSize: 1 };
  });
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
