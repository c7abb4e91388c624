import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Owners name one calculation attempt: host and pid say who to blame in `memoir list`, the
 * random part keeps two processes with a recycled pid apart, the counter keeps two
 * calculations of the same process apart.
 */
const processTag = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
let counter = 0;

export function newOwner(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${processTag}:${counter}`;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread: only sync functions waiting on another process use it. */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

export function sleep(ms: number): Promise<void> {
  // Deliberately not unref'd: a caller awaiting a result must keep the process alive.
  return new Promise((resolve) => setTimeout(resolve, ms));
}
