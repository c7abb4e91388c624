import type * as Lockfile from 'proper-lockfile';
import { MemoirError } from '../errors';
import { sleepSync } from './sleep';

/**
 * Cross-process mutual exclusion around a read-modify-write of a file, with proper-lockfile
 * (a `<file>.lock` directory created atomically with mkdir). Used by the file core around
 * replacing a file (compaction, clear, repair; its ordinary changes are appended without a
 * lock) and by the manager around merging a cache's saved contents.
 *
 * The lock is only ever held across a synchronous section (seal and rename; replay and write
 * the new file too when changes came in since it was prepared), never across an event-loop turn, which is why it is always taken with `lockSync`,
 * in the async path too: an async holder that yielded while holding it could deadlock a sync
 * caller of the same process spinning on it.
 *
 * `stale: 5000`: a lock directory older than 5 s belongs to a process that died holding it
 * (writers of that file wait at most that long after a crash). Should a huge compaction ever
 * take longer and its lock be broken, the second compactor writes the same records (the
 * seal fixes them), and the first checks just before its rename that the sealed file is
 * still in place, so it does not replace the second one's file. `update` is left at its default
 * (stale / 2): its refresh timer never gets to run, because every hold ends before the event
 * loop turns, and it is cleared on unlock.
 */
export const LOCK_STALE_MS = 5_000;
const LOCK_OPTIONS = {
  stale: LOCK_STALE_MS,
  realpath: false,
  // Unreachable in practice (see above); never throw from a timer into the user's process.
  onCompromised: () => {},
} as const;

/** Give up on a lock after this long: by then a stale lock has been broken many times over. */
const LOCK_DEADLINE_MS = 4 * LOCK_STALE_MS;

type Unlock = () => void;

/**
 * proper-lockfile is loaded on the first lock, not when memoir is imported: it loads
 * signal-exit, which listens to SIGINT, SIGTERM and SIGHUP as soon as it is loaded, and a
 * program that never locks a file should not get those listeners.
 */
let lockfile: typeof Lockfile | undefined;

/** One attempt: the unlock function, or undefined while another process holds the lock. */
function tryLock(file: string): Unlock | undefined {
  lockfile ??= require('proper-lockfile') as typeof Lockfile;
  try {
    return lockfile.lockSync(file, LOCK_OPTIONS);
  } catch (error) {
    if ((error as { code?: unknown })?.code === 'ELOCKED') return undefined;
    throw error;
  }
}

/** Runs `critical` (synchronous) under the lock, released even when it throws. */
function runLocked<R>(unlock: Unlock, critical: () => R): R {
  try {
    return critical();
  } finally {
    unlock();
  }
}

/** Backoff between attempts: 0.5 ms growing to 20 ms, jittered so contenders spread out. */
function backoff(attempt: number): number {
  const base = Math.min(20, 0.5 * 1.6 ** attempt);
  return base * (0.5 + Math.random());
}

/**
 * Removes `file`'s lock if proper-lockfile judges it stale (its holder died), by taking it
 * and releasing it at once, the way the next holder would have. False while it is held.
 */
export function clearStaleLock(file: string): boolean {
  const unlock = tryLock(file);
  if (!unlock) return false;
  unlock();
  return true;
}

function timedOut(file: string): MemoirError {
  return new MemoirError(
    'BACKEND_ERROR',
    `Could not lock ${file} within ${LOCK_DEADLINE_MS} ms (held by another process).`,
  );
}

export function withLockSync<R>(file: string, critical: () => R): R {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const unlock = tryLock(file);
    if (unlock) return runLocked(unlock, critical);
    if (Date.now() - started > LOCK_DEADLINE_MS) throw timedOut(file);
    // A sync caller has nothing else to do: sleep without burning the CPU.
    sleepSync(backoff(attempt));
  }
}

/**
 * Waits for the lock without blocking, then runs `critical` in the same tick as the lock was
 * taken: nothing else in this process can run while it is held.
 */
export async function withLockAsync<R>(file: string, critical: () => R): Promise<R> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const unlock = tryLock(file);
    if (unlock) return runLocked(unlock, critical);
    if (Date.now() - started > LOCK_DEADLINE_MS) throw timedOut(file);
    await new Promise((resolve) => setTimeout(resolve, backoff(attempt)));
  }
}
