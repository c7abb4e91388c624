import type {
  AcquireOutcome,
  Awaitable,
  CacheSerializer,
  CacheStore,
  Core,
  CoreSpec,
  Entry,
  KeyValueCache,
  SerializerName,
  StoredValue,
  WriteResult,
} from '../../contract';
import { serializeFor } from '../../contract';
import { MemoirError } from '../../errors';
import { isPromise, withTimeout } from '../../util';
import { type DerivedStore, deriveStore } from '../base-cache';
import { MemoCodec } from './codec';
import { fromStored, type MemoRecord, toStored } from './record';

/**
 * The memo core of a function whose `backend` is a key-value cache (or an alias of one): its
 * entries live in that cache's backend, beside the cache's own keys, in a namespace of their
 * own (`<cache namespace>#memo:<name length>:<name>`), so `clearCache()` clears this function's
 * entries and nothing else, and the cache's `clear()` never touches them.
 *
 * Each entry is one record (record.ts), replaced whole by compare-and-set (`swap`, else
 * getVersioned and compareAndSet): the value and the being-calculated mark change together, so
 * a calculation whose mark was cleared (clearCache, invalidate, clearBeingCalculated, in any
 * process) stores nothing. The mark's lease is a lock of the store (`tryLock`), which every
 * backend judges on its own clock (the server's for redis, sql and mongo): a calculator on a
 * machine whose clock runs ahead never takes over a live calculation, and a dead one's lock
 * lapses after its lease. The mark in the record says who calculates and until when it was
 * last renewed, so waiters know when to try the lock again; a release wakes them through the
 * store's unlock signal (Redis pub/sub, PostgreSQL NOTIFY, file watch, in-process), polling is
 * the floor.
 */
const RETRIES = 50;
/** A deleted record on a store without `swap` is a tombstone (no value, no mark) that expires. */
const TOMBSTONE_TTL_MS = 600_000;
/** A lock held while no record names its holder: how long a refused caller waits for its release. */
const ORPHAN_WAIT_MS = 50;
const UNKNOWN_HOLDER = '(unknown: the key is locked, its entry was cleared)';

/** Owners of the lock taken for a moment to signal a write (nudge). */
const NUDGER = `memoir-nudge:${process.pid}:${Math.random().toString(36).slice(2)}`;
let nudges = 0;

const KEEP = Symbol('keep');
const DROP = Symbol('drop');
type Change = MemoRecord | typeof KEEP | typeof DROP;

export interface KvCoreSource {
  /** The key-value cache now: an alias is looked up on every operation, so it follows `caches.setConfig`. */
  cache(): KeyValueCache;
  /** The `backend` option as given, for messages: `alias "sessions"`, `a redis cache "main"`. */
  describe: string;
}

export interface KvCoreSettings {
  /** `cached`'s serializer option; default: the cache's serializer. */
  serializer?: SerializerName | CacheSerializer;
  /** `cached`'s timeout option in ms; default: the cache's. */
  timeout?: number;
}

interface Opened {
  cache: KeyValueCache;
  derived: DerivedStore;
  store: CacheStore;
  /** `namespace:`, before every key of this function. */
  prefix: string;
  codec: MemoCodec;
  holdsObjects: boolean;
  timeout: number;
}

/** The namespace of a function's entries in a cache of namespace `cacheNamespace`: never a prefix of another's. */
export function memoNamespace(cacheNamespace: string, name: string): string {
  return `${cacheNamespace}#memo:${name.length}:${name}`;
}

const withoutMark = ({ mark: _mark, ...record }: MemoRecord): MemoRecord => record;

export function kvMemoCore(spec: CoreSpec, source: KvCoreSource, settings: KvCoreSettings = {}): Core {
  const { name } = spec;
  const reported = new Set<string>();
  let opened: Opened | undefined;
  let closed = false;

  function current(): Opened {
    if (closed) throw new MemoirError('BACKEND_ERROR', `Cache "${name}": its core is closed.`);
    const cache = source.cache();
    if (opened?.cache === cache) return opened;
    const namespace = memoNamespace(cache.namespace, name);
    const derived = deriveStore(cache, namespace, (event) => spec.report(event as Parameters<CoreSpec['report']>[0]));
    if (!derived) {
      throw new MemoirError(
        'INVALID_OPTION',
        `Invalid option "backend" of "${name}": ${source.describe} is a key-value cache memoir did not build, so memoized entries cannot be stored in it. ` +
          'Use a cache from createCache, caches or the cache classes, or a BaseCache over your store.',
      );
    }
    const previous = opened;
    opened = {
      cache,
      derived,
      store: derived.store,
      prefix: `${namespace}:`,
      codec: new MemoCodec(settings.serializer ?? derived.serializer, name),
      holdsObjects: derived.store.holdsObjects === true,
      timeout: settings.timeout ?? derived.timeout,
    };
    // The alias now names another cache (caches.setConfig): the old store goes.
    if (previous) void Promise.resolve(previous.store.close()).catch(() => undefined);
    return opened;
  }

  /** One store primitive, within the timeout. */
  function call<T>(o: Opened, what: string, work: () => Awaitable<T>): Promise<T> {
    let result: Awaitable<T>;
    try {
      result = work();
    } catch (error) {
      return Promise.reject(error);
    }
    if (!isPromise(result)) return Promise.resolve(result);
    return withTimeout(result, o.timeout, () => `Cache "${name}" (in ${o.derived.label}): ${what}`, (startedAt) => o.store.timedOut?.(startedAt));
  }

  const lockName = (o: Opened, key: string) => `memo:${o.prefix}${key}`;

  function reportOnce(key: string, message: string, error: unknown): void {
    if (reported.has(key)) return;
    reported.add(key);
    spec.report({ type: 'corrupt-entry', message: `the entry of key ${JSON.stringify(key)} ${message}: ${(error as Error)?.message ?? String(error)}; recomputing it.`, error });
  }

  /** The record a store holds; unreadable data and tombstones are no record. */
  function decode(key: string, raw: unknown): MemoRecord | undefined {
    if (raw === undefined) return undefined;
    let record: MemoRecord;
    try {
      record = fromStored(raw);
    } catch (error) {
      reportOnce(key, 'is not one memoir wrote', error);
      return undefined;
    }
    return record.completed || record.mark ? record : undefined;
  }

  /** The entry the engine sees: a value another serializer wrote is a miss, an unreadable one too (reported). */
  function entryOf(o: Opened, key: string, record: MemoRecord | undefined): Entry | undefined {
    if (!record) return undefined;
    const entry: Entry = { time: record.time, completed: false };
    if (record.completed && record.tag === o.codec.tag && record.value !== undefined) {
      try {
        entry.value = o.codec.fromForm(record.value);
        entry.completed = true;
        if (record.promised) entry.promised = true;
      } catch (error) {
        reportOnce(key, `cannot be read with serializer ${o.codec.tag}`, error);
      }
    }
    if (record.mark) entry.processing = record.mark;
    return entry.completed || entry.processing ? entry : undefined;
  }

  async function read(o: Opened, key: string): Promise<MemoRecord | undefined> {
    return decode(key, await call(o, 'get', () => o.store.get(o.prefix + key)));
  }

  /**
   * Replaces the record of `key` with what `change` makes of it, by compare-and-set, retrying
   * when someone wrote in between. `change` may run more than once.
   */
  async function update(o: Opened, key: string, change: (record: MemoRecord | undefined) => Change): Promise<{ before: MemoRecord | undefined; changed: boolean; after: MemoRecord | undefined }> {
    const built = o.prefix + key;
    const { store } = o;
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      if (store.swap) {
        const raw = await call(o, 'get', () => store.get(built));
        const before = decode(key, raw);
        const next = change(before);
        if (next === KEEP) return { before, changed: false, after: before };
        if (next === DROP && raw === undefined) return { before, changed: false, after: undefined };
        const stored = next === DROP ? undefined : (toStored(next, o.holdsObjects) as StoredValue);
        if (await call(o, 'swap', () => store.swap!(built, raw as StoredValue | undefined, stored, o.derived.ttl))) {
          return { before, changed: true, after: next === DROP ? undefined : next };
        }
        continue;
      }
      const { value: raw, version } = await call(o, 'getVersioned', () => store.getVersioned(built));
      const before = decode(key, raw);
      const next = change(before);
      if (next === KEEP) return { before, changed: false, after: before };
      if (next === DROP && raw === undefined) return { before, changed: false, after: undefined };
      const record = next === DROP ? { completed: false, time: 0, tag: o.codec.tag } : next;
      const ttl = next === DROP ? TOMBSTONE_TTL_MS : o.derived.ttl;
      if ((await call(o, 'compareAndSet', () => store.compareAndSet(built, toStored(record, o.holdsObjects), version, ttl))) !== undefined) {
        return { before, changed: true, after: next === DROP ? undefined : next };
      }
    }
    throw new MemoirError('BACKEND_ERROR', `Cache "${name}": the entry of key ${JSON.stringify(key)} kept changing during ${RETRIES} attempts (in ${o.derived.label}).`);
  }

  /** Waits up to `ms` for lock `lockKey` to be released (or just `ms` where the store cannot say). */
  function waitForUnlock(o: Opened, lockKey: string, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      o.store.waitForUnlock?.(lockKey, ms).then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        () => undefined,
      );
    });
  }

  async function unlock(o: Opened, key: string, owner: string): Promise<void> {
    await call(o, 'unlock', () => o.store.unlock(lockName(o, key), owner));
  }

  /**
   * Wakes the waiters of `key` after a write that held no lock (precacheValue): a free lock is
   * taken and released at once, which signals like any release. A held lock is left alone: its
   * holder's own release wakes them.
   */
  async function nudge(o: Opened, key: string): Promise<void> {
    const owner = `${NUDGER}:${++nudges}`;
    if (await call(o, 'lock', () => o.store.tryLock(lockName(o, key), owner, 1_000))) await unlock(o, key, owner);
  }

  async function listKeys(o: Opened): Promise<string[]> {
    if (!o.store.keys) {
      throw new MemoirError('UNSUPPORTED', `Cache "${name}": ${o.derived.label}'s store cannot list its keys (CacheStore.keys), which this needs.`);
    }
    const keys = await call(o, 'keys', () => o.store.keys!());
    return keys.filter((key) => key.startsWith(o.prefix)).map((key) => key.slice(o.prefix.length));
  }

  /** Size of what `write` would store, as the size limit measures it. */
  function sizeOf(form: ReturnType<MemoCodec['toForm']>, value: unknown): number {
    return form.kind === 'object' ? serializeFor(name, value).length : form.bytes.length;
  }

  const core: Core = {
    name,

    async get(key) {
      const o = current();
      return entryOf(o, key, await read(o, key));
    },

    async acquire(key, claim): Promise<AcquireOutcome> {
      const o = current();
      const lease = Math.max(1, claim.leaseUntil - claim.now);
      const lock = lockName(o, key);
      if (!(await call(o, 'lock', () => o.store.tryLock(lock, claim.owner, lease)))) {
        const entry = entryOf(o, key, await read(o, key));
        if (entry?.processing) return { acquired: false, entry };
        // Locked, but no record names the holder: its entry was cleared or invalidated while it
        // calculates, or it is between its lock and its mark. Give it a moment (woken by its
        // release) rather than have waiters spin on the lock.
        await waitForUnlock(o, lock, ORPHAN_WAIT_MS);
        const processing = { owner: UNKNOWN_HOLDER, since: claim.now, leaseUntil: claim.leaseUntil };
        return { acquired: false, entry: { ...(entry ?? { time: claim.now, completed: false }), processing } };
      }
      const mark = { owner: claim.owner, since: claim.now, leaseUntil: claim.leaseUntil };
      try {
        const { after } = await update(o, key, (record) => ({ ...(record ?? { completed: false, time: claim.now, tag: o.codec.tag }), mark }));
        return { acquired: true, entry: entryOf(o, key, after) ?? { time: claim.now, completed: false, processing: mark } };
      } catch (error) {
        await unlock(o, key, claim.owner).catch(() => undefined);
        throw error;
      }
    },

    async renew(key, claim) {
      const o = current();
      const lease = Math.max(1, claim.leaseUntil - claim.now);
      if (!(await call(o, 'lock renewal', () => o.store.renewLock(lockName(o, key), claim.owner, lease)))) return false;
      const { changed } = await update(o, key, (record) =>
        record?.mark?.owner === claim.owner ? { ...record, mark: { ...record.mark, leaseUntil: claim.leaseUntil } } : KEEP,
      );
      return changed;
    },

    async release(key, owner) {
      const o = current();
      await update(o, key, (record) => (record?.mark?.owner !== owner ? KEEP : record.completed ? withoutMark(record) : DROP));
      await unlock(o, key, owner);
    },

    async write(key, value, options): Promise<WriteResult> {
      const o = current();
      // Serialized first: a value the serializer refuses changes nothing.
      const form = o.codec.toForm(value, o.holdsObjects);
      const tooBig = options.sizeLimit !== undefined && sizeOf(form, value) > options.sizeLimit;
      const { owner } = options;
      let outcome: WriteResult = true;
      await update(o, key, (record) => {
        if (owner !== undefined && record?.mark?.owner !== owner) {
          outcome = 'fenced';
          return KEEP;
        }
        if (tooBig) {
          outcome = false;
          if (owner === undefined) return KEEP;
          return record!.completed ? withoutMark(record!) : DROP;
        }
        outcome = true;
        const next: MemoRecord = { completed: true, time: options.time, tag: o.codec.tag, value: form };
        if (options.promised) next.promised = true;
        if (owner === undefined && record?.mark) next.mark = record.mark;
        return next;
      });
      if (owner !== undefined) await unlock(o, key, owner);
      else if (outcome === true) await nudge(o, key);
      return outcome;
    },

    async delete(key) {
      const o = current();
      await call(o, 'delete', () => o.store.delete(o.prefix + key));
    },

    async clear() {
      const o = current();
      await call(o, 'clear', () => o.store.clear());
    },

    async clearBeingCalculated() {
      const o = current();
      for (const key of await listKeys(o)) {
        const { before, changed } = await update(o, key, (record) => (!record?.mark ? KEEP : record.completed ? withoutMark(record) : DROP));
        // Its calculator's lock too, so that the next caller computes instead of waiting.
        if (changed && before?.mark) await unlock(o, key, before.mark.owner);
      }
    },

    async deleteStale(before) {
      const o = current();
      let removed = 0;
      for (const key of await listKeys(o)) {
        const { changed } = await update(o, key, (record) => (record?.completed && record.time < before ? DROP : KEEP));
        if (changed) removed++;
      }
      return removed;
    },

    async keys() {
      const o = current();
      const keys = await listKeys(o);
      if (keys.length === 0) return [];
      // Tombstones (deleted records on stores without swap) are no entries.
      const raw = await call(o, 'multiGet', () => o.store.multiGet(keys.map((key) => o.prefix + key)));
      return keys.filter((key, i) => decode(key, raw[i]) !== undefined);
    },


    async close() {
      closed = true;
      const o = opened;
      opened = undefined;
      if (o) await o.store.close();
    },
  };
  // Offered where the store signals releases; elsewhere the engine polls with backoff.
  if (current().store.waitForUnlock) {
    core.waitForChange = async (key, maxMs) => {
      const o = current();
      await waitForUnlock(o, lockName(o, key), maxMs);
    };
  }
  return core;
}

const KV_METHODS = ['get', 'set', 'add', 'multiGet', 'getOrSet', 'lock', 'optimisticLock', 'clear', 'close'] as const;

/** Whether `value` looks like a key-value cache (by its shape: a cache of another module copy counts too). */
export function isKeyValueCache(value: unknown): value is KeyValueCache {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.namespace === 'string' && KV_METHODS.every((method) => typeof candidate[method] === 'function');
}
