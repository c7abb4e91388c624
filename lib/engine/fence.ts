/**
 * Per-key fencing for `invalidate(...args)`: a calculation of a key that was running when the
 * key was invalidated still answers its callers but must not store its (pre-invalidation)
 * result. `clearCache` fences everything through the memo's epoch; this is the one-key form.
 *
 * State exists only while calculations run: the invalidation marks are dropped when the last
 * running calculation of the function ends, so invalidating many keys costs no memory.
 */
interface Running {
  /** Calculations of this function running now. */
  count: number;
  /** Ticket of the latest calculation to start. */
  ticket: number;
  /** Key → the latest ticket issued when the key was invalidated. */
  fenced: Map<string, number>;
}

const running = new WeakMap<object, Running>();

/** Called as a calculation starts; returns its ticket. */
export function enterCalculation(memo: object): number {
  let state = running.get(memo);
  if (!state) {
    state = { count: 0, ticket: 0, fenced: new Map() };
    running.set(memo, state);
  }
  state.count++;
  return ++state.ticket;
}

/** Called as a calculation ends (stored, fenced or failed). */
export function leaveCalculation(memo: object): void {
  const state = running.get(memo);
  if (!state) return;
  state.count--;
  if (state.count === 0) running.delete(memo);
}

/** Fences the calculations of `key` running now. */
export function fenceKey(memo: object, key: string): void {
  const state = running.get(memo);
  if (state) state.fenced.set(key, state.ticket);
}

/** True when `key` was invalidated after the calculation holding `ticket` started. */
export function isKeyFenced(memo: object, key: string, ticket: number): boolean {
  const fencedAt = running.get(memo)?.fenced.get(key);
  return fencedAt !== undefined && fencedAt >= ticket;
}
