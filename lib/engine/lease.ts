import type { Core } from '../contract';
import { repeatUnref } from './timers';

/**
 * Keeps a being-calculated mark alive while its calculation runs, so that only a dead
 * calculator's mark expires. Renews at a third of the lease: two renewals may fail before
 * a waiter could take over. The timer never keeps the process alive: the calculation does.
 */
export function startRenewal(
  core: Core,
  key: string,
  owner: string,
  lease: number,
  clock: () => number,
  onError: (error: unknown) => void,
): () => void {
  return repeatUnref(
    () => {
      const now = clock();
      core.renew(key, { owner, now, leaseUntil: now + lease }).catch(onError);
    },
    Math.max(10, Math.floor(lease / 3)),
  );
}
