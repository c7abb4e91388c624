import { performance } from 'node:perf_hooks';
import type {
  CacheCommand,
  CacheOptions,
  CachePlugin,
  CacheSerializer,
  CacheStore,
  CacheStoreFactory,
  CommandOptions,
  GetOptions,
  GetOrSetOptions,
  KeyValueCache,
  LockHandle,
  LockOptions,
  MultiSetEntries,
  OptimisticLock,
  NativeStructures,
  PluginContext,
  SerializerName,
  SetOptions,
  StructureAccess,
} from '../contract';
import { describe, invalidOption, MemoirError } from '../errors';
import type { MemoirEvent } from '../contract';
import { parseTimerDuration } from '../units';
import { invalidArgument } from './arguments';
import { acquireLock, type HeldLock } from './lock';
import { type CacheSettings, checkKey, parseCacheOptions, parseTimeout, parseTtl } from './options';
import { COMMANDS, hooksOf } from './plugins';
import { Codec } from './serializers';
import { isPromise, withTimeout } from '../util';

type Hooks = { pre: Array<(context: PluginContext) => unknown>; post: Array<(context: PluginContext) => unknown> };
type Context = Omit<PluginContext, 'cache' | 'command'>;

const DEFAULT_LEASE_MS = 10_000;
const missing = Symbol('missing');
/** Commands that wait on others or run the user's factory: their timeout applies per store call. */
const COMPOUND: ReadonlySet<CacheCommand> = new Set(['getOrSet', 'lock', 'optimisticLock']);

/** How a backend's cache class describes itself to BaseCache. */
export interface BackendSpec {
  /** Backend name ('memory', 'file', ...). */
  backend: string;
  /** The backend's own option names (cacheDir, mongetter, redis, ...). */
  options: readonly string[];
  /** The serializer when none is given. */
  serializer: SerializerName;
  /** Builds the store once the common options are parsed; must not connect (connections open on first use). */
  store: CacheStoreFactory;
}

/** What a cache was built from, so that memoized functions can open stores of their own beside it. */
interface Origin {
  spec: BackendSpec;
  own: Record<string, unknown>;
  settings: CacheSettings;
  report: (event: MemoirEvent) => void;
}

const origins = new WeakMap<object, Origin>();

/** A store of the same backend, connection and options as `cache`, on another namespace. */
export interface DerivedStore {
  store: CacheStore;
  /** The cache's serializer, default time to live (ms) and per-command limit (ms). */
  serializer: SerializerName | CacheSerializer;
  ttl: number | undefined;
  timeout: number;
  /** How messages name the cache: `redis cache "main"`. */
  label: string;
}

/**
 * Opens a store beside `cache` (built by BaseCache) on `namespace`: how memoized functions keep
 * their entries in a key-value cache without mixing them with its keys. Undefined when `cache`
 * was not built by BaseCache (a custom cache of its own making has no store to share).
 */
export function deriveStore(cache: unknown, namespace: string, report?: (event: Omit<MemoirEvent, 'cache'>) => void): DerivedStore | undefined {
  const origin = typeof cache === 'object' && cache !== null ? origins.get(cache) : undefined;
  if (!origin) return undefined;
  const { spec, own, settings } = origin;
  const store = spec.store({
    namespace,
    clock: settings.clock,
    timeout: settings.timeout,
    options: own,
    report: (event) => (report ? report(event) : origin.report({ ...event, cache: namespace })),
  });
  const label = `${spec.backend} cache${settings.namespace ? ` "${settings.namespace}"` : ''}`;
  return { store, serializer: settings.serializer, ttl: settings.ttl, timeout: settings.timeout, label };
}

/**
 * The one implementation of the key-value contract (API.md section 7) over a backend's store:
 * namespacing, serialization, plugins, per-command timeouts, getOrSet, locks and optimistic
 * locks are written once here, so every backend behaves the same.
 */
export class BaseCache implements KeyValueCache {
  readonly namespace: string;
  readonly backend: string;
  readonly serializer: SerializerName | CacheSerializer;
  readonly plugins: readonly CachePlugin[];
  /** Default time to live in ms (undefined: none). */
  readonly ttl: number | undefined;
  /** Default per-command limit in ms (0: none). */
  readonly timeout: number;
  /** The backend's native structures for the data-structure caches; undefined when it has none. */
  readonly structures: StructureAccess | undefined;
  protected readonly store: CacheStore;
  private readonly settings: CacheSettings;
  private readonly codec: Codec;
  private readonly hooks: Map<CacheCommand, Hooks> | undefined;
  private readonly reported = new Set<string>();
  /** getOrSet calculations in flight in this cache, by built key. */
  private readonly filling = new Map<string, Promise<unknown>>();
  private readonly heldLocks = new Set<HeldLock>();
  private closed: Promise<void> | undefined;
  /** `namespace:` (empty without a namespace), prepended to every key. */
  private readonly prefix: string;

  constructor(spec: BackendSpec, options: CacheOptions & Record<string, unknown> = {}) {
    const settings = parseCacheOptions(spec.backend, options, spec.options, { serializer: spec.serializer });
    this.settings = settings;
    this.backend = spec.backend;
    this.namespace = settings.namespace;
    this.prefix = settings.namespace === '' ? '' : `${settings.namespace}:`;
    this.serializer = settings.serializer;
    this.plugins = settings.plugins;
    this.ttl = settings.ttl;
    this.timeout = settings.timeout;
    const own: Record<string, unknown> = {};
    for (const name of spec.options) if (options[name] !== undefined) own[name] = options[name];
    this.store = spec.store({
      namespace: settings.namespace,
      clock: settings.clock,
      timeout: settings.timeout,
      options: own,
      report: (event) => this.report({ ...event, cache: this.namespace }),
    });
    origins.set(this, { spec, own, settings, report: (event) => this.report(event) });
    this.codec = new Codec(settings.serializer, this.store.holdsObjects === true, this.label, this.store.textual === true);
    this.structures = this.store.structures ? this.structureAccess(this.store.structures) : undefined;
    if (settings.plugins.length > 0) {
      this.hooks = new Map();
      for (const command of COMMANDS) {
        this.hooks.set(command, { pre: hooksOf(settings.plugins, 'pre', command), post: hooksOf(settings.plugins, 'post', command) });
      }
    }
  }

  /** How messages name this cache. */
  get label(): string {
    return `${this.backend} cache${this.namespace ? ` "${this.namespace}"` : ''}`;
  }

  // ── commands ──────────────────────────────────────────────────────────────────────────────

  get<T = any>(key: string, options?: GetOptions<T>): Promise<T | undefined> {
    if (this.hooks === undefined && this.closed === undefined) {
      // The hot path: no plugin context, no closure per call, no promise but the answer's.
      let built: string;
      let raw: unknown;
      let ms: number;
      try {
        ms = this.commandTimeout(options);
        built = this.keyOf(key);
        raw = this.store.get(built);
      } catch (error) {
        return Promise.reject(error);
      }
      if (!isPromise(raw)) return Promise.resolve(this.answer(raw, built, options?.default) as T | undefined);
      return withTimeout(
        raw.then((stored) => this.answer(stored, built, options?.default) as T | undefined),
        ms,
        () => `${this.label}: get`,
        this.timedOut,
      );
    }
    return this.exec('get', options, { key }, (context) => {
      const built = this.keyOf(key);
      const raw = this.store.get(built);
      return isPromise(raw)
        ? raw.then((stored) => this.answer(stored, built, options?.default, context) as T | undefined)
        : (this.answer(raw, built, options?.default, context) as T | undefined);
    });
  }

  set(key: string, value: unknown, options?: SetOptions): Promise<true> {
    return this.exec('set', options, { key, value }, () => {
      const done = this.store.set(this.keyOf(key), this.codec.encode(value), this.ttlOf(options));
      return isPromise(done) ? done.then(() => true as const) : (true as const);
    });
  }

  add(key: string, value: unknown, options?: SetOptions): Promise<true> {
    return this.exec('add', options, { key, value }, () => {
      const added = this.store.add(this.keyOf(key), this.codec.encode(value), this.ttlOf(options));
      return isPromise(added) ? added.then((ok) => this.added(ok, key)) : this.added(added, key);
    });
  }

  multiGet<T = any>(keys: readonly string[], options?: CommandOptions): Promise<Array<T | undefined>> {
    if (!Array.isArray(keys)) return Promise.reject(invalidArgument('keys', keys, 'an array of string keys'));
    return this.exec('multiGet', options, { keys: keys as string[] }, () => {
      const built = keys.map((key) => this.keyOf(key));
      const raw = built.length === 0 ? [] : this.store.multiGet(built);
      return isPromise(raw) ? raw.then((values) => this.answers<T>(values, built)) : this.answers<T>(raw, built);
    });
  }

  multiSet(entries: MultiSetEntries, options?: SetOptions): Promise<true> {
    let pairs: Array<readonly [string, unknown]>;
    const accepted = 'an array or Map of [key, value] pairs, or a plain object';
    if (typeof entries !== 'object' || entries === null) return Promise.reject(invalidArgument('entries', entries, accepted));
    if (Array.isArray(entries) || entries instanceof Map) {
      pairs = [...(entries as Iterable<readonly [string, unknown]>)];
      const bad = pairs.find((pair) => !Array.isArray(pair) || pair.length !== 2);
      if (bad !== undefined) return Promise.reject(invalidArgument('entries', bad, `${accepted}; each pair is [key, value]`));
    } else pairs = Object.entries(entries);
    return this.exec('multiSet', options, { keys: pairs.map(([key]) => key), value: pairs.map(([, value]) => value) }, () => {
      const stored = pairs.map(([key, value]) => [this.keyOf(key), this.codec.encode(value)] as const);
      const done = stored.length === 0 ? undefined : this.store.multiSet(stored, this.ttlOf(options));
      return isPromise(done) ? done.then(() => true as const) : (true as const);
    });
  }

  exists(key: string, options?: CommandOptions): Promise<boolean> {
    return this.exec('exists', options, { key }, () => this.store.exists(this.keyOf(key)));
  }

  increment(key: string, delta = 1, options?: CommandOptions): Promise<number> {
    if (!Number.isSafeInteger(delta)) return Promise.reject(invalidArgument('delta', delta, 'a safe integer'));
    return this.exec('increment', options, { key, value: delta }, () => this.store.increment(this.keyOf(key), delta));
  }

  expire(key: string, ttl: number | string, options?: CommandOptions): Promise<boolean> {
    return this.exec('expire', options, { key }, () => {
      if (ttl === undefined) throw invalidArgument('ttl', ttl, "a duration (0 removes the expiry), e.g. 5000 or '10m'");
      return this.store.expire(this.keyOf(key), parseTtl(ttl));
    });
  }

  delete(key: string, options?: CommandOptions): Promise<number> {
    return this.exec('delete', options, { key }, () => this.store.delete(this.keyOf(key)));
  }

  clear(options?: CommandOptions): Promise<true> {
    return this.exec('clear', options, {}, () => {
      const done = this.store.clear();
      return isPromise(done) ? done.then(() => true as const) : (true as const);
    });
  }

  raw(command: string, ...args: unknown[]): Promise<unknown> {
    return this.exec('raw', undefined, { value: [command, ...args] }, () => {
      if (!this.store.raw) {
        throw new MemoirError('UNSUPPORTED', `${this.label}: raw commands exist on the redis, sql and mongo backends, not on ${this.backend}.`);
      }
      return this.store.raw(command, args);
    });
  }

  getOrSet<T>(key: string, factory: () => T | Promise<T>, options?: GetOrSetOptions): Promise<T> {
    return this.exec('getOrSet', undefined, { key }, async (context) => {
      if (typeof factory !== 'function') throw invalidArgument('factory', factory, 'a function returning the value');
      const built = this.keyOf(key);
      const timeout = this.timeoutOf(options);
      const ttl = this.ttlOf(options);
      const found = this.output(await this.call(timeout, 'getOrSet', () => this.store.get(built)), built);
      if (context) context.hit = found !== missing;
      if (found !== missing) return found as T;
      let pending = this.filling.get(built);
      if (!pending) {
        pending = this.fill(key, built, factory, options, timeout, ttl);
        this.filling.set(built, pending);
        const forget = () => {
          if (this.filling.get(built) === pending) this.filling.delete(built);
        };
        pending.then(forget, forget);
      }
      return pending as Promise<T>;
    });
  }

  lock(key: string, options?: LockOptions): Promise<LockHandle> {
    return this.exec('lock', undefined, { key }, () => this.takeLock(key, `lock:${this.keyOf(key)}`, options, this.timeout));
  }

  optimisticLock<T = any>(key: string, options?: CommandOptions): Promise<OptimisticLock<T>> {
    return this.exec('optimisticLock', options, { key }, async () => {
      const built = this.keyOf(key);
      const timeout = this.timeoutOf(options);
      const read = await this.call(timeout, 'optimisticLock', () => this.store.getVersioned(built));
      const decoded = this.output(read.value, built);
      let version = read.version;
      return {
        value: (decoded === missing ? undefined : decoded) as T | undefined,
        cas: async (value: T, casOptions?: SetOptions): Promise<true> => {
          this.assertOpen();
          const encoded = this.codec.encode(value);
          const next = await this.call(this.timeoutOf(casOptions ?? options), 'cas', () =>
            this.store.compareAndSet(built, encoded, version, this.ttlOf(casOptions)),
          );
          if (next === undefined) {
            throw new MemoirError('LOCK_CONFLICT', `${this.label}: key ${JSON.stringify(key)} was written since it was read; read it again and retry.`);
          }
          version = next;
          return true;
        },
      };
    });
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      for (const held of [...this.heldLocks]) await held.release().catch(() => false);
      await this.store.close();
    })();
    return this.closed;
  }

  // ── the machinery ─────────────────────────────────────────────────────────────────────────

  /** The native structures with this cache's keys, serializer and timeout (plugins do not see them). */
  private structureAccess(native: NativeStructures): StructureAccess {
    return {
      native,
      ttl: this.ttl,
      keyOf: (key) => this.keyOf(key),
      encode: (value) => this.codec.encode(value),
      decode: (stored, built) => {
        const value = this.output(stored, built);
        return value === missing ? undefined : value;
      },
      run: (what, work) => this.call(this.timeout, what, () => work(native)),
    };
  }

  /** The stored key of `key`: `namespace:key`, or what `keyBuilder` makes of it. */
  keyOf(key: string): string {
    if (typeof key !== 'string') checkKey(key);
    if (this.settings.keyBuilder === undefined) return this.prefix === '' ? key : this.prefix + key;
    const built = this.settings.keyBuilder(key, this.namespace);
    if (typeof built !== 'string') throw invalidOption('keyBuilder', built, 'a function returning a string');
    return built;
  }

  /**
   * Runs one command: plugins around it, the timeout over all of it. Without plugins and with
   * a store that answers synchronously (memory), no promise but the result's is made.
   */
  private exec<T>(command: CacheCommand, options: CommandOptions | undefined, context: Context, body: (context?: Context) => T | Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(this.closedError());
    let ms: number;
    try {
      ms = COMPOUND.has(command) ? 0 : this.hooks === undefined ? this.commandTimeout(options) : this.timeoutOf(options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.hooks === undefined) {
      let result: T | Promise<T>;
      try {
        result = body();
      } catch (error) {
        return Promise.reject(error);
      }
      return isPromise(result) ? withTimeout(result, ms, () => `${this.label}: ${command}`, this.timedOut) : Promise.resolve(result);
    }
    return withTimeout(this.withHooks(command, context, body), ms, () => `${this.label}: ${command}`, this.timedOut);
  }

  private async withHooks<T>(command: CacheCommand, partial: Context, body: (context?: Context) => T | Promise<T>): Promise<T> {
    const hooks = this.hooks!.get(command)!;
    const context: PluginContext = { cache: this, command, ...partial };
    for (const hook of hooks.pre) await hook(context);
    const started = performance.now();
    const result = await body(context);
    context.result = result;
    context.ms = performance.now() - started;
    for (const hook of hooks.post) await hook(context);
    return result;
  }

  /** One store primitive inside a compound command, with the per-command timeout. */
  private call<T>(timeout: number, what: string, work: () => T | Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(this.closedError());
    let result: T | Promise<T>;
    try {
      result = work();
    } catch (error) {
      return Promise.reject(error);
    }
    return isPromise(result) ? withTimeout(result, timeout, () => `${this.label}: ${what}`, this.timedOut) : Promise.resolve(result);
  }

  private takeLock(key: string, name: string, options: LockOptions | undefined, timeout: number): Promise<HeldLock> {
    const lease = options?.lease === undefined ? DEFAULT_LEASE_MS : parseTimerDuration(options.lease, 'lease');
    if (!(lease > 0)) throw invalidOption('lease', options?.lease, "a positive duration, e.g. '10s'");
    const wait = options?.wait === undefined ? undefined : parseTimerDuration(options.wait, 'wait', true);
    return acquireLock({
      store: this.store,
      name,
      key,
      lease,
      wait,
      call: (what, work) => this.call(timeout, what, work),
      track: this.heldLocks,
    });
  }

  /**
   * One calculation of `key` for this process: across processes the fill lock (a separate
   * name from the user's own `lock(key)`, so holding that never deadlocks getOrSet) lets one
   * caller run the factory while the others wait, then read its value.
   */
  private async fill<T>(key: string, built: string, factory: () => T | Promise<T>, options: GetOrSetOptions | undefined, timeout: number, ttl: number | undefined): Promise<T> {
    const held = await this.takeLock(key, `fill:${built}`, options, timeout);
    try {
      const found = this.output(await this.call(timeout, 'getOrSet', () => this.store.get(built)), built);
      if (found !== missing) return found as T;
      const value = await factory();
      const encoded = this.codec.encode(value);
      await this.call(timeout, 'getOrSet', () => this.store.set(built, encoded, ttl));
      return value;
    } finally {
      await held.release().catch(() => false); // a lost release lapses with its lease
    }
  }

  /** What get resolves: the value, else the caller's default (and the plugin context learns which). */
  private answer(stored: unknown, built: string, fallback: unknown, context?: Context): unknown {
    const value = this.output(stored, built);
    if (context) context.hit = value !== missing;
    return value === missing ? fallback : value;
  }

  private answers<T>(values: unknown[], built: string[]): Array<T | undefined> {
    const out: Array<T | undefined> = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const value = this.output(values[i], built[i]);
      out[i] = (value === missing ? undefined : value) as T | undefined;
    }
    return out;
  }

  private added(ok: boolean, key: string): true {
    if (!ok) throw new MemoirError('KEY_EXISTS', `${this.label}: key ${JSON.stringify(key)} already exists (add stores only absent keys; use set to overwrite).`);
    return true;
  }

  /** A stored value as the caller sees it; `missing` when absent or unreadable. */
  private output(stored: unknown, built: string): unknown {
    if (stored === undefined) {
      // A store of the caller's own values (memory under 'none') holds an undefined as set:
      // it is there, as every serializing store reads it back.
      return this.codec.identity && this.store.exists(built) === true ? undefined : missing;
    }
    if (this.codec.identity) return stored;
    const decoded = this.codec.decode(stored);
    if (decoded.ok) return decoded.value;
    this.reportUnreadable(built, decoded.error);
    return missing;
  }

  private reportUnreadable(built: string, error: unknown): void {
    if (this.reported.has(built)) return;
    this.reported.add(built);
    const event: MemoirEvent = {
      type: 'corrupt-entry',
      cache: this.namespace,
      key: built,
      message: `${this.label}: the value of ${JSON.stringify(built)} cannot be read with serializer ${typeof this.serializer === 'string' ? `'${this.serializer}'` : '(custom)'} (${(error as Error)?.message ?? describe(error)}); treating it as missing.`,
      error,
    };
    this.report(event);
  }

  private report(event: MemoirEvent): void {
    if (this.settings.onEvent) this.settings.onEvent(event);
    else process.emitWarning(event.message ?? event.type, { code: 'MEMOIR_CACHE' });
  }

  private ttlOf(options: SetOptions | undefined): number | undefined {
    return options?.ttl === undefined ? this.ttl : parseTtl(options.ttl);
  }

  private timeoutOf(options: CommandOptions | undefined): number {
    return options?.timeout === undefined ? this.timeout : parseTimeout(options.timeout);
  }

  /** The timer a plain command needs. */
  private commandTimeout(options: CommandOptions | undefined): number {
    return options?.timeout === undefined ? this.timeout : parseTimeout(options.timeout);
  }

  /** A command ran out of time: the store may hold a connection to a server that stopped answering. */
  private readonly timedOut = (startedAt: number): void => {
    this.store.timedOut?.(startedAt);
  };

  private assertOpen(): void {
    if (this.closed) throw this.closedError();
  }

  private closedError(): MemoirError {
    return new MemoirError('BACKEND_ERROR', `${this.label} is closed; create a new one (or use caches.get) to keep going.`);
  }
}
