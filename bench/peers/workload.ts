/**
 * The function bodies and arguments every library is measured with. Bodies count their
 * runs, so the harness can check that a "hit" really was one.
 */

export interface Query {
  id: number;
  filter: { tags: string[]; active: boolean };
}

export const A = 7;
export const B = 'user';

/** Fresh, structurally equal queries: a call site builds its argument anew each time. */
export function makeQuery(): Query {
  return { id: 7, filter: { tags: ['a', 'b'], active: true } };
}

/**
 * Equal but distinct objects the timed loops cycle through, so a library that compares
 * arguments by identity cannot pass off a reference check as a hit on the value.
 */
export const QUERIES: readonly Query[] = Array.from({ length: 8 }, makeQuery);

export interface Bodies {
  runs: number;
  syncPrimitives(a: number, b: string): number;
  asyncPrimitives(a: number, b: string): Promise<number>;
  syncObject(q: Query): number;
  asyncObject(q: Query): Promise<number>;
}

/** A fresh set of bodies with its own run counter. */
export function makeBodies(): Bodies {
  const bodies: Bodies = {
    runs: 0,
    syncPrimitives(a, b) {
      bodies.runs++;
      return a * 31 + b.length;
    },
    // Native async functions: memoir (and others) detect them as such.
    async asyncPrimitives(a, b) {
      bodies.runs++;
      return a * 31 + b.length;
    },
    syncObject(q) {
      bodies.runs++;
      return q.id * 31 + q.filter.tags.length;
    },
    async asyncObject(q) {
      bodies.runs++;
      return q.id * 31 + q.filter.tags.length;
    },
  };
  return bodies;
}

/** What every body returns for the benchmark arguments. */
export const EXPECTED_PRIMITIVES = A * 31 + B.length;
export const EXPECTED_OBJECT = 7 * 31 + 2;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A slow async body for the stampede: resolves (or rejects) after `ms`. */
export function makeSlowBody(ms: number, reject: boolean) {
  const body = {
    runs: 0,
    async fn(a: number, b: string): Promise<number> {
      body.runs++;
      await delay(ms);
      if (reject) throw new Error(`stampede rejection ${a}:${b}`);
      return a * 31 + b.length;
    },
  };
  return body;
}
