import { type CacheStore, type CacheStoreFactory, incremented } from '../../lib/contract';
import type { Slot, Slots } from './slots';
import { memoryStructures } from './structures';

/**
 * The memory key-value store: one Map per namespace, shared by every memory cache of that
 * namespace in this process (as two caches of one namespace share data on every other
 * backend). Everything is synchronous, so the cache answers without a promise round trip of
 * its own. Expired entries go when they are touched, and in an amortized sweep: a sweep runs
 * once the writes since the last one outnumber the entries, so it costs O(1) per write.
 * Hashes, sets and sorted sets are native (structures.ts): JavaScript objects in the key's slot.
 */
interface Lease {
  owner: string;
  until: number;
}

class Namespace {
  readonly values = new Map<string, Slot>();
  readonly locks = new Map<string, Lease>();
  readonly unlockWaiters = new Map<string, Set<() => void>>();
  writesSinceSweep = 0;
}

const namespaces = new Map<string, Namespace>();
/** Versions are unique in the process and never reused, so a delete and re-add still changes it. */
let versions = 0;

function namespaceOf(name: string): Namespace {
  let found = namespaces.get(name);
  if (!found) namespaces.set(name, (found = new Namespace()));
  return found;
}

export const createMemoryStore: CacheStoreFactory = ({ namespace, clock }) => {
  const space = namespaceOf(namespace);
  const { values, locks } = space;

  const expiryOf = (ttl: number | undefined) => (ttl === undefined ? 0 : clock() + ttl);

  /** The live slot of `key`; an expired one is dropped on the way. */
  function live(key: string): Slot | undefined {
    const slot = values.get(key);
    if (slot === undefined || slot.expiresAt === 0 || slot.expiresAt > clock()) return slot;
    values.delete(key);
    return undefined;
  }

  function write(key: string, value: unknown, expiresAt: number): number {
    const version = ++versions;
    values.set(key, { value, expiresAt, version });
    if (++space.writesSinceSweep > Math.max(1_000, values.size)) sweep();
    return version;
  }

  function sweep(): void {
    space.writesSinceSweep = 0;
    const now = clock();
    for (const [key, slot] of values) if (slot.expiresAt !== 0 && slot.expiresAt <= now) values.delete(key);
  }

  function freeLock(name: string): Lease | undefined {
    const lease = locks.get(name);
    return lease && lease.until > clock() ? lease : undefined;
  }

  const slots: Slots = {
    live,
    write,
    touched(slot, ttl) {
      slot.version = ++versions;
      if (ttl !== undefined) slot.expiresAt = expiryOf(ttl);
    },
    remove: (key) => void values.delete(key),
    expiryOf,
  };

  const store: CacheStore = {
    backend: 'memory',
    holdsObjects: true,
    structures: memoryStructures(slots),
    get: (key) => live(key)?.value,
    multiGet: (keys) => keys.map((key) => live(key)?.value),
    set(key, value, ttl) {
      write(key, value, expiryOf(ttl));
    },
    add(key, value, ttl) {
      if (live(key)) return false;
      write(key, value, expiryOf(ttl));
      return true;
    },
    multiSet(entries, ttl) {
      const expiresAt = expiryOf(ttl);
      for (const [key, value] of entries) write(key, value, expiresAt);
    },
    exists: (key) => live(key) !== undefined,
    increment(key, delta) {
      const slot = live(key);
      const next = incremented(key, slot?.value, delta);
      write(key, next, slot?.expiresAt ?? 0);
      return next;
    },
    expire(key, ttl) {
      const slot = live(key);
      if (!slot) return false;
      slot.expiresAt = expiryOf(ttl);
      return true;
    },
    delete: (key) => (live(key) && values.delete(key) ? 1 : 0),
    clear() {
      values.clear();
    },
    keys() {
      const now = clock();
      const keys: string[] = [];
      for (const [key, slot] of values) if (slot.expiresAt === 0 || slot.expiresAt > now) keys.push(key);
      return keys;
    },
    getVersioned(key) {
      const slot = live(key);
      return slot ? { value: slot.value, version: String(slot.version) } : { value: undefined, version: undefined };
    },
    compareAndSet(key, value, version, ttl) {
      const current = live(key);
      if ((current === undefined ? undefined : String(current.version)) !== version) return undefined;
      return String(write(key, value, expiryOf(ttl)));
    },
    tryLock(name, owner, lease) {
      const held = freeLock(name);
      if (held && held.owner !== owner) return false;
      locks.set(name, { owner, until: clock() + lease });
      return true;
    },
    renewLock(name, owner, lease) {
      const held = freeLock(name);
      if (held?.owner !== owner) return false;
      held.until = clock() + lease;
      return true;
    },
    unlock(name, owner) {
      const held = freeLock(name);
      if (held?.owner !== owner) return false;
      locks.delete(name);
      const waiters = space.unlockWaiters.get(name);
      space.unlockWaiters.delete(name);
      for (const wake of waiters ?? []) wake();
      return true;
    },
    waitForUnlock(name, maxMs) {
      return new Promise<void>((resolve) => {
        let waiters = space.unlockWaiters.get(name);
        if (!waiters) space.unlockWaiters.set(name, (waiters = new Set()));
        const wake = () => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, maxMs);
        timer.unref();
        waiters.add(wake);
      });
    },
    close() {},
  };
  return store;
};
