/**
 * The hit cases and how a peer's memoized function is built and checked for each. Every
 * peer gets the same bodies (bench/peers/workload.ts) and the same arguments.
 */
import type { CaseId } from '../report';
import type { Peer, Shape } from './types';
import { A, B, EXPECTED_OBJECT, EXPECTED_PRIMITIVES, makeBodies, QUERIES } from './workload';

export interface HitCase {
  id: CaseId;
  title: string;
  sync: boolean;
  shape: Shape;
  /**
   * How many different first arguments the timed loop turns through (primitives only; 1 when
   * absent): with many, no call repeats the one before, as in a service answering many users.
   */
  distinct?: number;
}

/** The distinct-arguments cases: every call a hit on another of this many stored keys. */
export const DISTINCT = 1000;

export const CASES: HitCase[] = [
  {
    id: 'sync-primitives',
    title: '(a) sync hit, two primitives (7, "user")',
    sync: true,
    shape: 'primitives',
  },
  {
    id: 'async-primitives',
    title: '(b) async hit, two primitives (7, "user")',
    sync: false,
    shape: 'primitives',
  },
  {
    id: 'async-object',
    title: '(c) async hit, one nested object {id, filter: {tags, active}}',
    sync: false,
    shape: 'object',
  },
  { id: 'sync-object', title: '(c) sync hit, one nested object', sync: true, shape: 'object' },
  {
    id: 'sync-distinct',
    title: `(d) sync hit, two primitives, ${DISTINCT.toLocaleString('en')} stored keys in turn (i, "user")`,
    sync: true,
    shape: 'primitives',
    distinct: DISTINCT,
  },
  {
    id: 'async-distinct',
    title: `(d) async hit, two primitives, ${DISTINCT.toLocaleString('en')} stored keys in turn`,
    sync: false,
    shape: 'primitives',
    distinct: DISTINCT,
  },
];

/**
 * Builds the memoized function a peer makes for `c`, and checks that repeated calls with
 * equal (not identical) arguments really hit: a figure for a cache that misses is no figure.
 */
export async function prepare(peer: Peer, c: HitCase) {
  const bodies = makeBodies();
  const distinct = c.distinct ?? 1;
  const expected = (i: number) =>
    c.shape === 'object' ? EXPECTED_OBJECT : distinct > 1 ? (i % distinct) * 31 + B.length : EXPECTED_PRIMITIVES;
  const fn = c.sync
    ? peer.sync?.(c.shape === 'primitives' ? bodies.syncPrimitives : bodies.syncObject, c.shape, distinct)
    : peer.async(c.shape === 'primitives' ? bodies.asyncPrimitives : bodies.asyncObject, c.shape, distinct);
  if (!fn) return { note: 'no sync API: results are promises' };
  const call: (i: number) => unknown =
    c.shape === 'object' ? (i) => fn(QUERIES[i & 7]) : distinct > 1 ? (i) => fn(i % distinct, B) : () => fn(A, B);
  // Every key stored, then each asked again with equal (not identical) arguments.
  for (let i = 0; i < Math.max(QUERIES.length, distinct) * 2; i++) {
    const value = c.sync ? call(i) : await call(i);
    if (value !== expected(i)) return { note: `wrong result ${String(value)}` };
  }
  if (bodies.runs !== distinct) {
    return { note: `not a hit: body ran ${bodies.runs}x for ${distinct} distinct arguments` };
  }
  return { call };
}
