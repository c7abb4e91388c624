import { performance } from 'node:perf_hooks';
import type { CacheStore, LockHandle } from '../contract';
import { MemoirError } from '../errors';
import { newOwner } from './owner';
import { parseTimerDuration } from '../units';

/**
 * Distributed locks on a store's lock primitives (tryLock / renewLock / unlock).
 *
 * Ownership is a token unique to one acquisition, so only the holder can release or extend.
 * The lease is renewed at a third of its length by an unref'd timer while the handle is held:
 * a live holder keeps its lock however long it works, a dead one (SIGKILL, lost machine) stops
 * renewing and its lock lapses after at most one lease. Waiters retry with backoff and wake
 * early when this process released the lock or the store signals a release (file watch,
 * Redis pub/sub); nothing here is "sleep and hope".
 */

/** Runs one store primitive with the cache's per-command timeout. */
export type StoreCall = <T>(what: string, work: () => T | Promise<T>) => Promise<T>;

/** Waiters poll at most this far apart where the store cannot signal a release (mongo, MariaDB/MySQL, SQLite). */
const MAX_POLL_MS = 50;

/** In-process wake-ups: a release here wakes this process's waiters at once. */
const localWaiters = new WeakMap<CacheStore, Map<string, Set<() => void>>>();

function waitersOf(store: CacheStore, name: string): Set<() => void> {
  let byName = localWaiters.get(store);
  if (!byName) localWaiters.set(store, (byName = new Map()));
  let set = byName.get(name);
  if (!set) byName.set(name, (set = new Set()));
  return set;
}

function notifyLocal(store: CacheStore, name: string): void {
  const set = localWaiters.get(store)?.get(name);
  if (!set) return;
  localWaiters.get(store)!.delete(name);
  for (const wake of set) wake();
}

/** Resolves on a local release, a store signal, or after `ms`: whichever comes first. */
function pause(store: CacheStore, name: string, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const set = waitersOf(store, name);
    let done = false;
    // Ref'd on purpose: a caller waiting for a lock keeps the process alive.
    const timer = setTimeout(() => finish(), ms);
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      set.delete(finish);
      resolve();
    };
    set.add(finish);
    store.waitForUnlock?.(name, ms).then(finish, finish);
  });
}

export interface LockRequest {
  store: CacheStore;
  /** The store's lock name (built key plus a kind prefix). */
  name: string;
  /** The key as the caller named it, for messages and `handle.key`. */
  key: string;
  lease: number;
  /** ms; undefined waits as long as it takes. */
  wait: number | undefined;
  call: StoreCall;
  /** Told when a handle is created and when it is released (the cache releases leftovers on close). */
  track?: { add(lock: HeldLock): void; delete(lock: HeldLock): void };
}

export async function acquireLock(request: LockRequest): Promise<HeldLock> {
  const { store, name, lease, wait, call } = request;
  const owner = newOwner();
  const deadline = wait === undefined ? Number.POSITIVE_INFINITY : performance.now() + wait;
  let delay = 2;
  for (;;) {
    if (await call(`lock "${request.key}"`, () => store.tryLock(name, owner, lease))) {
      const held = new HeldLock(request, owner);
      request.track?.add(held);
      return held;
    }
    const remaining = deadline - performance.now();
    if (remaining <= 0) {
      throw new MemoirError('TIMEOUT', `Lock "${request.key}" was not free within ${wait} ms (option "wait").`);
    }
    await pause(store, name, Math.min(delay, remaining));
    delay = Math.min(delay * 2, MAX_POLL_MS);
  }
}

export class HeldLock implements LockHandle {
  readonly key: string;
  private released = false;
  private lease: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly request: LockRequest,
    readonly owner: string,
  ) {
    this.key = request.key;
    this.lease = request.lease;
    this.schedule();
  }

  async release(): Promise<boolean> {
    if (this.released) return false;
    this.stop();
    const { store, name, call } = this.request;
    try {
      return await call(`release of lock "${this.key}"`, () => store.unlock(name, this.owner));
    } finally {
      notifyLocal(store, name);
    }
  }

  async extend(lease?: number | string): Promise<boolean> {
    if (this.released) return false;
    if (lease !== undefined) {
      this.lease = parseTimerDuration(lease, 'lease');
      this.schedule();
    }
    const { store, name, call } = this.request;
    const kept = await call(`extend of lock "${this.key}"`, () => store.renewLock(name, this.owner, this.lease));
    if (!kept) this.stop();
    return kept;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release().then(() => undefined);
  }

  /** Renews at a third of the lease: two renewals may fail before the lock could lapse. */
  private schedule(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => this.renew(), Math.max(5, Math.floor(this.lease / 3)));
    this.timer.unref();
  }

  private renew(): void {
    const { store, name, call } = this.request;
    call(`renewal of lock "${this.key}"`, () => store.renewLock(name, this.owner, this.lease)).then(
      (kept) => {
        // Lost (the lease lapsed while this process was stalled): stop pretending to hold it.
        if (!kept && !this.released) this.stop(false);
      },
      () => {
        // A failed renewal is retried at the next tick; the lease covers two misses.
      },
    );
  }

  private stop(released = true): void {
    if (released) this.released = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.request.track?.delete(this);
  }
}
