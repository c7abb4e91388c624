import { cached } from '../../lib/cached';
import type { Logger } from '../../lib/options';

/** A clock the test moves by hand; `clock.now` is what `cached({ clock })` takes. */
export interface ManualClock {
  now: () => number;
  advance(ms: number): void;
}

export function manualClock(start = 1_700_000_000_000): ManualClock {
  let time = start;
  return {
    now: () => time,
    advance(ms) {
      time += ms;
    },
  };
}

/** Real time plus whatever the test adds: for sync waits, which block until real time passes. */
export function offsetClock(): ManualClock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(ms) {
      offset += ms;
    },
  };
}

let namesGiven = 0;

/** A cache name no other test in this process uses (memory stores are shared by name). */
export function uniqueName(label: string): string {
  namesGiven++;
  return `${label}-${namesGiven}`;
}

/** Lets queued setImmediate callbacks (background refreshes, cleanups) and their promises run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Polls (real time) until `predicate` holds; fails the test after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A logger that records what it is given. */
export function recordingLogger(): Logger & { debugs: string[]; warns: string[] } {
  const debugs: string[] = [];
  const warns: string[] = [];
  return {
    debugs,
    warns,
    debug: (message) => {
      debugs.push(message);
    },
    warn: (message) => {
      warns.push(message);
    },
  };
}

/** A promise with its resolve/reject exposed. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A body that answers `<what body returns>#<its run number>`, so a test sees which run answered. */
export function counter<A extends unknown[]>(body: (...args: A) => unknown = (...args) => JSON.stringify(args)) {
  let runs = 0;
  const fn = (...args: A) => `${String(body(...args))}#${++runs}`;
  return { fn, runs: () => runs };
}

/** An object whose memoized method reads its instance's `rate`: instance state in the key. */
export function pricesAt(rate: number): { rate: number; price(x: number): number } {
  class Prices {
    constructor(public rate: number) {}
    @cached({ backend: 'memory', name: uniqueName('method') })
    price(x: number) {
      return x * this.rate;
    }
  }
  return new Prices(rate);
}
