import type { AutoSyncSchedule } from './auto-sync';
import type { CacheKey } from './hooks';
import { describe, MemoirError } from '../errors';
import { type Flushable, markClean, markDirty } from './exit-flush';
import { ChangeJournal } from './journal';
import { isPromiseLike, SerialQueue } from './serial-queue';
import type { Refresh } from './shared-file';
import type { StampClock } from './stamps';
import type { CachePersistence } from './storage';
import { assertSerializable } from './serializable';
import { unsavableValue } from './unsavable';

export type { CachePersistence } from './storage';

/** What a cache needs from the manager that owns it. */
export interface CacheOwner {
  /** Invalidates `name` and its dependents transitively. */
  invalidate(name: string): Promise<void>;
  /** Reports a problem that has no caller to throw to (timer saves, exit flush). */
  report(problem: unknown): void;
}

export interface CacheSetup<K extends CacheKey, V> {
  name: string;
  owner: CacheOwner;
  initial?: Map<K, V>;
  /** The initial contents were built, not loaded: they count as one unsaved change. */
  initialIsUnsaved?: boolean;
  /** Present for persistent caches only; a cache without it never touches storage. */
  persistence?: CachePersistence<K, V>;
  /** Stamps this cache's changes (shared with its storage, which moves it past saved stamps). */
  stamps?: StampClock;
  /** Counts changes and triggers saves; present for persistent caches only. */
  makeSchedule?: (save: () => void) => AutoSyncSchedule;
}

/**
 * A named cache of a CacheManager. It behaves like a Map (string or number keys; values
 * anything the v8 serializer handles when persistent), plus `invalidate`, `save` and `load`.
 */
export class ManagedCache<K extends CacheKey = CacheKey, V = unknown>
  implements Iterable<[K, V]>, Flushable
{
  readonly name: string;
  private entriesMap: Map<K, V>;
  private readonly owner: CacheOwner;
  private readonly persistence?: CachePersistence<K, V>;
  private readonly schedule?: AutoSyncSchedule;
  private readonly queue = new SerialQueue();
  /** What changed since the last save or load, for the merge with other processes' saves. */
  private readonly journal = new ChangeJournal<K>();
  private readonly stamps?: StampClock;

  constructor(setup: CacheSetup<K, V>) {
    this.name = setup.name;
    this.owner = setup.owner;
    this.entriesMap = setup.initial ?? new Map();
    this.persistence = setup.persistence;
    this.stamps = setup.stamps;
    this.schedule = setup.makeSchedule?.(() => this.saveOnSchedule());
    if (setup.initialIsUnsaved) {
      const stamp = this.stamp();
      for (const key of this.entriesMap.keys()) this.journal.set(key, stamp);
      this.changed();
    }
  }

  /** True when the cache is saved (to disk by default, or through its saver hook). */
  get persistent(): boolean {
    return this.persistence !== undefined;
  }

  /** Changes not yet saved (always 0 for a non-persistent cache). */
  get unsavedChanges(): number {
    return this.schedule?.pendingChanges ?? 0;
  }

  get size(): number {
    return this.entriesMap.size;
  }

  get(key: K): V | undefined {
    return this.entriesMap.get(key);
  }

  has(key: K): boolean {
    return this.entriesMap.has(key);
  }

  /**
   * Stores `value` under `key`. On a persistent cache saved by memoir (no saver hook), a value
   * node:v8 cannot serialize (a function, a symbol, an object holding one) is refused with
   * SERIALIZATION_FAILED and the cache is left as it was: accepting it would only fail later,
   * in a save with no caller to tell.
   */
  set(key: K, value: V): this {
    if (typeof key !== 'string' && typeof key !== 'number') {
      throw new MemoirError(
        'INVALID_KEY',
        `Cache "${this.name}": keys must be strings or numbers, got ${describe(key)}.`,
      );
    }
    if (this.persistence?.serializesValues()) {
      try {
        assertSerializable(value);
      } catch (error) {
        throw unsavableValue(this.name, key, error);
      }
    }
    this.entriesMap.set(key, value);
    if (this.persistence) this.journal.set(key, this.stamp());
    this.changed();
    return this;
  }

  delete(key: K): boolean {
    const existed = this.entriesMap.delete(key);
    if (existed) {
      if (this.persistence) this.journal.delete(key, this.stamp());
      this.changed();
    }
    return existed;
  }

  /** Empties this cache only (a change that auto-sync saves); see `invalidate` for dependents. */
  clear(): void {
    if (this.entriesMap.size === 0) return;
    this.entriesMap.clear();
    if (this.persistence) this.journal.clear(this.stamp());
    this.changed();
  }

  keys(): MapIterator<K> {
    return this.entriesMap.keys();
  }

  values(): MapIterator<V> {
    return this.entriesMap.values();
  }

  entries(): MapIterator<[K, V]> {
    return this.entriesMap.entries();
  }

  forEach(callback: (value: V, key: K, cache: this) => void): void {
    for (const [key, value] of this.entriesMap) callback(value, key, this);
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entriesMap.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'ManagedCache';
  }

  /** console.log shows the contents, like a Map. */
  [Symbol.for('nodejs.util.inspect.custom')](): Map<K, V> {
    return this.entriesMap;
  }

  /**
   * Clears this cache and its saved contents, then every cache that depends on it,
   * transitively, each exactly once. Map-like caches are cleared before this returns; the
   * promise settles when asynchronous clears (hooks, memoized functions' backends) finish.
   */
  invalidate(): Promise<void> {
    return this.owner.invalidate(this.name);
  }

  /**
   * Saves the current contents now. Resolves when the saver finished; rejects with
   * HOOK_FAILED (your saver) or BACKEND_ERROR (the default file) and keeps every change
   * pending, in memory, for the next attempt. A no-op for non-persistent caches.
   */
  save(): Promise<void> {
    try {
      return Promise.resolve(this.writeOut());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Replaces the contents with the saved ones (validated, or built when nothing valid is
   * saved). Unsaved changes are dropped. If the loader, validator or builder fails, this
   * throws and the current contents stay as they were. A no-op for non-persistent caches.
   */
  load(): void {
    if (!this.persistence) return;
    const { contents, built } = this.persistence.load();
    this.entriesMap = contents ?? new Map();
    this.schedule?.reset();
    this.journal.reset();
    markClean(this);
    if (built) {
      const stamp = this.stamp();
      for (const key of this.entriesMap.keys()) this.journal.set(key, stamp);
      this.changed();
    }
  }

  /**
   * @internal The manager's part of an invalidation: clear memory now, storage in order.
   * On the default file the clear is stamped, so changes that other processes made before
   * it stay out of the cache when they save later: an invalidation stays invalidated.
   */
  invalidateSelf(): void | Promise<void> {
    this.entriesMap.clear();
    this.schedule?.reset();
    this.journal.reset();
    markClean(this);
    const persistence = this.persistence;
    if (!persistence) return;
    const stamp = this.stamp();
    // If the saved contents cannot be cleared, an unsaved clear makes sure the next save
    // clears them, so stale data cannot come back in the next process.
    const keepClearPending = (error: unknown) => {
      this.journal.clear(stamp);
      this.changed();
      throw error;
    };
    try {
      const result = this.queue.run(() => persistence.remove(stamp));
      return isPromiseLike(result) ? Promise.resolve(result).catch(keepClearPending) : undefined;
    } catch (error) {
      keepClearPending(error);
    }
  }

  /**
   * @internal Exit flush: saves now and never throws. The default saver and synchronous
   * hooks finish before this returns; an async saver is started, and completes only if the
   * process still runs its event loop (`beforeExit`), not after `process.exit()`.
   */
  flushSync(): void {
    if (this.unsavedChanges > 0) this.saveOnSchedule();
  }

  private stamp(): number {
    return this.stamps?.next() ?? 0;
  }

  private changed(): void {
    if (!this.schedule) return;
    this.schedule.recordChange();
    markDirty(this);
  }

  /** Saves with no caller to throw to (timer, exit): failures go to the manager's reporter. */
  private saveOnSchedule(): void {
    try {
      const result = this.writeOut();
      if (isPromiseLike(result)) Promise.resolve(result).catch((error) => this.owner.report(error));
    } catch (error) {
      this.owner.report(error);
    }
  }

  /**
   * Saves the pending changes. The default file merges them into what other processes saved
   * and answers with their changes, which memory then takes on; a saver hook gets a snapshot
   * (a copy: an async saver may hold it while the cache keeps changing).
   */
  private writeOut(): void | Promise<void> {
    const persistence = this.persistence;
    const schedule = this.schedule;
    if (!persistence || !schedule) return;
    return this.queue.run(() => {
      const token = schedule.beginSave();
      const pending = this.journal.take();
      const done = () => {
        schedule.saved(token);
        if (schedule.pendingChanges === 0) markClean(this);
      };
      const failed = (error: unknown): never => {
        this.journal.restore(pending);
        schedule.failed();
        throw error;
      };
      let result: ReturnType<typeof persistence.save>;
      try {
        result = persistence.save(this.entriesMap, pending);
      } catch (error) {
        return failed(error);
      }
      if (isPromiseLike(result)) return Promise.resolve(result).then(done, failed);
      if (result) this.takeOn(result);
      done();
    });
  }

  /** Memory takes on what other processes saved (and drops what they deleted or invalidated). */
  private takeOn(refresh: Refresh<K, V>): void {
    for (const key of refresh.removed) this.entriesMap.delete(key);
    for (const [key, value] of refresh.updated) this.entriesMap.set(key, value);
  }
}
