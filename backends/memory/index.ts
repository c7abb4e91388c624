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
import { processState } from '../../lib/util';

/**
 * The memory core: a Map per cache name, shared by every function of that name in this
 * process. Hits hand back the stored value itself (no copy on the hot path); `copy: true`
 * stores and returns v8 round-tripped copies, the same shapes the persistent cores return.
 */
export interface MemoryCoreOptions {
  /** Store and return copies so callers can mutate results safely. Default false. */
  copy?: boolean;
  /**
   * Keep this name's entries for the rest of the process, even while no core uses them, so
   * a core created later under the same name finds them. Default true: a name chosen by
   * someone is a namespace meant to be shared. `false` lets the entries go with the last
   * core of the name (anonymous functions created per request must not pin memory).
   */
  pinned?: boolean;
}

/**
 * The entries of one cache name, and a revision bumped by every change to them, whichever
 * core of the name made it: the engine reuses its last lookup while the revision stands.
 */
class Store extends Map<string, Entry> {
  revision = 0;
}

/**
 * The stores of the process, by cache name (one set per process: both module copies of
 * memoir share it, see lib/util/process-state.ts). Each store is reachable weakly by name, so
 * every core of a name shares one store while any of them lives, and strongly from `pinned`
 * for names that must outlive their cores. A collected store takes its name with it.
 */
interface MemoryStores {
  byName: Map<string, WeakRef<Store>>;
  pinned: Map<string, Store>;
  finalizer: FinalizationRegistry<string>;
}

// 'memory-stores' held plain Maps without a revision: a copy of memoir from before keeps its own.
const stores = processState<MemoryStores>('memory-stores.v2', () => {
  const byName = new Map<string, WeakRef<Store>>();
  return {
    byName,
    pinned: new Map(),
    // The name may already hold a newer store: only a dead reference is removed.
    finalizer: new FinalizationRegistry((name) => {
      if (byName.get(name)?.deref() === undefined) byName.delete(name);
    }),
  };
});

function storeFor(name: string, pinned: boolean): Store {
  let store = stores.pinned.get(name) ?? stores.byName.get(name)?.deref();
  if (!store) {
    store = new Store();
    stores.byName.set(name, new WeakRef(store));
    stores.finalizer.register(store, name);
  }
  if (pinned) stores.pinned.set(name, store);
  return store;
}

const roundTrip = (value: unknown): unknown => v8.deserialize(v8.serialize(value));

/** A completed entry without its being-calculated mark. */
function withoutMark({ processing: _, ...entry }: Entry): Entry {
  return entry;
}

export function memoryOperations(name: string, copy: boolean, pinned = true): StoreOperations<'sync'> {
  const store = storeFor(name, pinned);
  const output = copy ? roundTrip : (value: unknown) => value;

  function release(key: string, owner: string | undefined): void {
    const entry = store.get(key);
    if (owner === undefined || entry?.processing?.owner !== owner) return;
    store.revision++;
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
      store.revision++;
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
      store.revision++;
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
      store.revision++;
      store.set(key, entry);
      return true;
    },

    delete(key) {
      store.revision++;
      store.delete(key);
    },

    clear() {
      store.revision++;
      store.clear();
    },

    clearBeingCalculated() {
      store.revision++;
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
          store.revision++;
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
  const copy = options.copy ?? false;
  const pinned = options.pinned ?? true;
  const sync = memoryOperations(name, copy, pinned);
  const core: Core = { name, sync, nonBlocking: true, ...asyncFromSync(sync) };
  // Hits hand out the stored value itself only without `copy`: only then may a lookup be reused.
  if (!copy) (core as { changes?: Core['changes'] }).changes = storeFor(name, pinned);
  return core;
}

/**
 * For memoized functions: the entries of a function given an explicit `name` are pinned (the
 * name is a namespace other functions may share, now or later in the process); those of a
 * function named by memoir live as long as the function (its core holds its store).
 */
export const memoryCoreFactory: CoreFactory = (spec) =>
  createMemoryCore(spec.name, {
    copy: spec.options.copy === true,
    pinned: typeof spec.options.name === 'string',
  });
