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
}

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
];

/**
 * Builds the memoized function a peer makes for `c`, and checks that repeated calls with
 * equal (not identical) arguments really hit: a figure for a cache that misses is no figure.
 */
export async function prepare(peer: Peer, c: HitCase) {
  const bodies = makeBodies();
  const expected = c.shape === 'primitives' ? EXPECTED_PRIMITIVES : EXPECTED_OBJECT;
  let call: (i: number) => unknown;
  if (c.sync) {
    if (!peer.sync) return { note: 'no sync API: results are promises' };
    const fn = peer.sync(
      c.shape === 'primitives' ? bodies.syncPrimitives : bodies.syncObject,
      c.shape,
    );
    call = c.shape === 'primitives' ? () => fn(A, B) : (i) => fn(QUERIES[i & 7]);
  } else {
    const fn = peer.async(
      c.shape === 'primitives' ? bodies.asyncPrimitives : bodies.asyncObject,
      c.shape,
    );
    call = c.shape === 'primitives' ? () => fn(A, B) : (i) => fn(QUERIES[i & 7]);
  }
  for (let i = 0; i < QUERIES.length; i++) {
    const value = c.sync ? call(i) : await call(i);
    if (value !== expected) return { note: `wrong result ${String(value)}` };
  }
  if (bodies.runs !== 1) return { note: `not a hit: body ran ${bodies.runs}x for equal arguments` };
  return { call };
}
