/**
 * The core contract: what every storage backend ("core") guarantees to the engine.
 *
 * The engine decides (fresh, stale, wait, compute); a core only stores. A core holds the
 * entries of ONE cache namespace (one memoized function). All times are passed in by the
 * engine, so cores never read a clock of their own: that keeps them deterministic under an
 * injected clock and keeps every process of a shared backend on the same rules.
 *
 * `memoir/testing` (lib/testing/) holds the one suite every core must pass
 * (`describeCoreContract`). What that suite relies on beyond the signatures below:
 * - The engine never mutates an entry or a value a core returns, and never mutates a value
 *   after handing it to `write`: a core may return what it stores (the memory core does).
 *   Cores that serialize return a fresh copy on every read anyway.
 * - A placeholder whose mark is dead stays until it is taken over, released, cleared or
 *   removed by `clearBeingCalculated`; `deleteStale` removes completed entries only.
 * - Timers and watchers a core starts (lease-free polling, reconnects, fs.watch) are unref'd:
 *   an idle core never keeps the process alive. Only a caller's own wait does.
 * - Unreadable stored data is reported once through `CoreSpec.report` ('corrupt-entry') and
 *   read as undefined, never thrown; other entries stay readable.
 * - A value the core's serializer refuses rejects `write` with MemoirError
 *   'SERIALIZATION_FAILED' (see `serializeFor`), and nothing is stored.
 */

/** Who is calculating a key, since when, and until when the mark is valid unless renewed. */
export interface Mark {
  /** Unique per calculation attempt (host, pid, random, counter). */
  owner: string;
  /** Epoch ms at which the mark was taken. */
  since: number;
  /** Epoch ms after which the mark is dead and may be taken over. */
  leaseUntil: number;
}

/** One stored entry. A placeholder (`completed: false`) is never a value. */
export interface Entry<V = unknown> {
  /** The stored result; present only when `completed`. */
  value?: V;
  /** Epoch ms at which `value` was stored (for placeholders: when the mark was created). */
  time: number;
  /** True once a value has been written for this key. */
  completed: boolean;
  /**
   * The function answered with a Promise when this value was computed: a hit answers the same
   * way, also in a process where the function never ran.
   */
  promised?: boolean;
  /** Present while a caller is (or was, until its lease ran out) calculating this key. */
  processing?: Mark;
}

/** What a caller claims when it marks a key as being calculated. */
export interface Claim {
  owner: string;
  /** The caller's current time (epoch ms): marks with `leaseUntil <= now` are dead. */
  now: number;
  /** When the new mark expires unless renewed. */
  leaseUntil: number;
}

export interface AcquireOutcome<V = unknown> {
  /** True when the caller now holds the mark (it was absent, dead, or already its own). */
  acquired: boolean;
  /**
   * The entry as it stands after the attempt. Lets the engine notice a value that another
   * caller completed between its read and its acquire (double-checked locking).
   */
  entry: Entry<V>;
}

export interface WriteOptions {
  /** Epoch ms to record as the entry's `time`. */
  time: number;
  /**
   * The writer's mark. The write is fenced by it: it stores (and clears the mark in the same
   * step) only while that mark is still in place, live or dead. Without `owner` (precaching,
   * a waiter that gave up) the write stores unconditionally.
   */
  owner?: string;
  /** The function answered with a Promise (stored with the value, returned as `Entry.promised`). */
  promised?: boolean;
  /** Bytes; a value whose stored form is larger is not stored and `write` returns false. */
  sizeLimit?: number;
}

type Result<T, Mode extends 'sync' | 'async'> = Mode extends 'sync' ? T : Promise<T>;

/**
 * What a write did: `true` stored; `false` rejected by `sizeLimit` (nothing stored, the
 * writer's mark cleared); `'fenced'` nothing stored because the writer's mark is gone — the
 * key was invalidated or cleared since it was marked (in any process), or another caller
 * took the mark over after its lease ran out. A fenced result never overwrites a newer one.
 */
export type WriteResult = boolean | 'fenced';

/** The storage operations, in a sync or an async flavour with identical semantics. */
export interface StoreOperations<Mode extends 'sync' | 'async'> {
  /** The entry for `key`, or undefined when there is none. Unreadable data is undefined too. */
  get(key: string): Result<Entry | undefined, Mode>;
  /**
   * Atomic compare-and-set: marks `key` as being calculated by `claim.owner` only if no live
   * mark of another owner exists. Keeps any completed value (stale readers may still use it);
   * creates a placeholder when the key has no entry.
   */
  acquire(key: string, claim: Claim): Result<AcquireOutcome, Mode>;
  /** Extends the owner's mark to `claim.leaseUntil`; false if the mark is no longer its own. */
  renew(key: string, claim: Claim): Result<boolean, Mode>;
  /** Drops the mark if `owner` holds it; removes the entry if it was only a placeholder. */
  release(key: string, owner: string): Result<void, Mode>;
  /**
   * Stores a completed value (overwriting any earlier one) and clears the writer's mark in
   * the same step. With `owner`, only while the writer's mark is still the stored one
   * (else `'fenced'`, nothing changes); without, unconditionally, leaving any mark alone.
   * `false` when the value was rejected by `sizeLimit` (nothing stored, the mark cleared).
   */
  write(key: string, value: unknown, options: WriteOptions): Result<WriteResult, Mode>;
  /** Removes the entry for `key` (value and mark). Missing keys are fine. */
  delete(key: string): Result<void, Mode>;
  /** Removes every entry of this namespace, marks included. */
  clear(): Result<void, Mode>;
  /** Drops every mark; completed values stay, bare placeholders disappear. */
  clearBeingCalculated(): Result<void, Mode>;
  /** Removes completed entries stored before `before` (epoch ms); returns how many. */
  deleteStale(before: number): Result<number, Mode>;
  /** Every key that has an entry (completed or placeholder), in no particular order. */
  keys(): Result<string[], Mode>;
}

/**
 * What `Core.peek` answers when it would have to wait: the engine asks `get` instead. A
 * registered symbol, so a core built against another copy of memoir (ESM beside CJS) says
 * the same thing.
 */
export const WOULD_WAIT: unique symbol = Symbol.for('memoir.wouldWait');

/** Something a core reports instead of throwing: bad data on disk, a backend outage. */
export interface CoreEvent {
  /** 'lease-lost': a calculation outlived its lease (its late result is not stored). */
  type: 'corrupt-entry' | 'backend-error' | 'serialization-error' | 'lease-lost';
  cache: string;
  message: string;
  /** File path or collection, when there is one. */
  location?: string;
  error?: unknown;
}

/** A backend for one cache namespace. Every core is async; cores that can be sync say so. */
export interface Core extends StoreOperations<'async'> {
  /** The cache namespace this core stores. */
  readonly name: string;
  /** Sync operations, for sync functions. Absent on cores that cannot block (mongo). */
  readonly sync?: StoreOperations<'sync'>;
  /**
   * True when the sync operations do no I/O (memory): the engine then serves hits of async
   * functions through them without a promise round trip per lookup.
   */
  readonly nonBlocking?: boolean;
  /**
   * A synchronous lookup for the hit path of async functions, on cores that can read in this
   * process without waiting (SQLite): the entry, undefined when there is none, or WOULD_WAIT
   * when it cannot answer at once (first use, a locked database, any failure); the call then
   * takes the async path, which meets that again. A hit so costs no promise per lookup,
   * while sync functions still get no sync operations (the core keeps `sync` undefined).
   */
  peek?(key: string): Entry | undefined | typeof WOULD_WAIT;
  /**
   * A counter bumped by every change to this namespace's entries, by any core or process that
   * can change them. Offered only by cores whose sync `get` does no I/O and returns the stored
   * entry itself (memory without `copy`): while the revision stands, the engine answers a
   * repeated call from its last lookup of the key, without another `get`.
   */
  readonly changes?: { readonly revision: number };
  /** Directory of the entries for file-backed cores; undefined otherwise. */
  readonly path?: string;
  /**
   * Resolves when `key` may have changed or after at most `maxMs`, whichever is first.
   * Waiters re-read after it resolves; cores without notifications leave it out and the
   * engine polls with backoff.
   */
  waitForChange?(key: string, maxMs: number): Promise<void>;
  /** Releases connections, watchers and timers. Idempotent. */
  close?(): Promise<void>;
}

/** Everything a backend factory is given to build the core of one cache. */
export interface CoreSpec {
  /** The cache namespace (the memoized function's name). */
  name: string;
  /** Backend-specific options, as given to `cached` (cacheDir, separateFiles, mongetter...). */
  options: Readonly<Record<string, unknown>>;
  /** Where the core reports problems it recovers from. */
  report(event: Omit<CoreEvent, 'cache'>): void;
}

/** Builds the core of one cache; accepted as `backend` so a custom core learns its name, options and `report`. */
export type CoreFactory = (spec: CoreSpec) => Core;

/** The members every core must have (the async operations). */
export const CORE_OPERATIONS = [
  'get',
  'acquire',
  'renew',
  'release',
  'write',
  'delete',
  'clear',
  'clearBeingCalculated',
  'deleteStale',
  'keys',
] as const satisfies ReadonlyArray<keyof StoreOperations<'async'>>;

/**
 * What is wrong with `candidate` as a core, or undefined when nothing is: every operation a
 * function, and `sync` (when present) with every operation too. Checked when a core is given
 * or built, so a missing member fails there instead of inside a background task later.
 */
export function coreDefect(candidate: unknown): string | undefined {
  if (candidate === null || typeof candidate !== 'object') return 'it is not an object';
  const record = candidate as Record<string, unknown>;
  const missing = CORE_OPERATIONS.filter((member) => typeof record[member] !== 'function');
  if (missing.length > 0) return `it has no ${missing.join(', ')} method${missing.length > 1 ? 's' : ''}`;
  const sync = record.sync as Record<string, unknown> | undefined;
  if (sync === undefined) return undefined;
  const missingSync = CORE_OPERATIONS.filter((member) => typeof sync?.[member] !== 'function');
  if (missingSync.length > 0) return `its sync operations lack ${missingSync.join(', ')}`;
  return undefined;
}

/** A mark is live while its lease has not run out. */
export function isLive(mark: Mark | undefined, now: number): mark is Mark {
  return mark !== undefined && mark.leaseUntil > now;
}

/** True when a claim may take the mark: none, dead, or already the claimant's own. */
export function canAcquire(mark: Mark | undefined, claim: Claim): boolean {
  return !isLive(mark, claim.now) || mark.owner === claim.owner;
}
