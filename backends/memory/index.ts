import * as v8 from 'node:v8';
import {
  type AcquireOutcome,
  asyncFromSync,
  type Claim,
  type Core,
  type CoreFactory,
  canAcquire,
  type Entry,
  type StoreOperations,
  serializeFor,
  type WriteOptions,
} from '../../lib/contract';

/**
 * The memory core: a Map per cache name, shared by every function of that name in this
 * process. Hits hand back the stored value itself (no copy on the hot path); `copy: true`
 * stores and returns v8 round-tripped copies, the same shapes the persistent cores return.
 */
export interface MemoryCoreOptions {
  /** Store and return copies so callers can mutate results safely. Default false. */
  copy?: boolean;
}

const stores = new Map<string, Map<string, Entry>>();

function storeFor(name: string): Map<string, Entry> {
  let store = stores.get(name);
  if (!store) {
    store = new Map();
    stores.set(name, store);
  }
  return store;
}

const roundTrip = (value: unknown): unknown => v8.deserialize(v8.serialize(value));

/** A completed entry without its being-calculated mark. */
function withoutMark({ processing: _, ...entry }: Entry): Entry {
  return entry;
}

export function memoryOperations(name: string, copy: boolean): StoreOperations<'sync'> {
  const store = storeFor(name);
  const output = copy ? roundTrip : (value: unknown) => value;

  function release(key: string, owner: string | undefined): void {
    const entry = store.get(key);
    if (owner === undefined || entry?.processing?.owner !== owner) return;
    if (entry.completed) store.set(key, withoutMark(entry));
    else store.delete(key);
  }

  return {
    get(key) {
      const entry = store.get(key);
      if (!entry || !copy || !entry.completed) return entry;
      return { ...entry, value: output(entry.value) };
    },

    acquire(key, claim: Claim): AcquireOutcome {
      const entry = store.get(key);
      if (entry && !canAcquire(entry.processing, claim)) return { acquired: false, entry };
      const mark = { owner: claim.owner, since: claim.now, leaseUntil: claim.leaseUntil };
      const next: Entry = entry
        ? { ...entry, processing: mark }
        : { time: claim.now, completed: false, processing: mark };
      store.set(key, next);
      return { acquired: true, entry: next };
    },

    renew(key, claim) {
      const entry = store.get(key);
      if (entry?.processing?.owner !== claim.owner) return false;
      entry.processing = { ...entry.processing, leaseUntil: claim.leaseUntil };
      return true;
    },

    release,

    write(key, value, options: WriteOptions) {
      const current = store.get(key);
      if (options.owner !== undefined && current?.processing?.owner !== options.owner) return 'fenced';
      const otherMark = options.owner === undefined ? current?.processing : undefined;
      if (options.sizeLimit !== undefined || copy) {
        const bytes = serializeFor(name, value);
        if (options.sizeLimit !== undefined && bytes.length > options.sizeLimit) {
          release(key, options.owner);
          return false;
        }
        if (copy) value = v8.deserialize(bytes);
      }
      const entry: Entry = { value, time: options.time, completed: true };
      if (options.promised) entry.promised = true;
      if (otherMark) entry.processing = otherMark;
      store.set(key, entry);
      return true;
    },

    delete(key) {
      store.delete(key);
    },

    clear() {
      store.clear();
    },

    clearBeingCalculated() {
      for (const [key, entry] of store) {
        if (!entry.processing) continue;
        if (entry.completed) store.set(key, withoutMark(entry));
        else store.delete(key);
      }
    },

    deleteStale(before) {
      let removed = 0;
      for (const [key, entry] of store) {
        if (entry.completed && entry.time < before) {
          store.delete(key);
          removed++;
        }
      }
      return removed;
    },

    keys() {
      return [...store.keys()];
    },
  };
}

export function createMemoryCore(name: string, options: MemoryCoreOptions = {}): Core {
  const sync = memoryOperations(name, options.copy ?? false);
  return { name, sync, nonBlocking: true, ...asyncFromSync(sync) };
}

export const memoryCoreFactory: CoreFactory = (spec) =>
  createMemoryCore(spec.name, { copy: spec.options.copy === true });
