/** Waiting without a busy loop, for the two kinds of caller memoir has. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread: for sync callers waiting on another process (a mark, a file lock). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

export function sleep(ms: number): Promise<void> {
  // Deliberately not unref'd: a caller awaiting a result must keep the process alive.
  return new Promise((resolve) => setTimeout(resolve, ms));
}
