import { isPersistent, openBackend } from './backends';
import { configState, currentParams } from '../config';
import { type Core, type Entry, type StoreOperations, WOULD_WAIT } from '../contract';
import { driveAsync, driveSync } from './drivers';
import { describe, MemoirError } from '../errors';
import { noteBackendFault } from './backend-failure';
import { CircuitBreaker } from './circuit-breaker';
import { bypassFlow, callFlow, type Prefetched, refreshFlow } from './flow';
import { FRESH, freshness } from './freshness';
import type { CallSite, MemoHost } from './host';
import { KeyFences } from './key-fences';
import { remember } from './open-cores';
import { SingleFlight } from './single-flight';
import { type ArgumentsImage, defaultKey, type KeyContext, type KeyLeaf, LastArgumentsKey, methodKey, normalizeArgs, PrimitiveKeyCache } from '../keys';
import type { CachedOptions, CallOptions } from '../options';
import { type CallPolicy, callPolicy, resolveSettings, type Settings } from '../config';
import type { CacheStats } from './stats';
import { CallRecorder } from './recorder';
import { backendOf, validateDecoration } from '../config';
import { processState } from '../util';
import { parseDuration } from '../units';

type AnyFunction = (...args: any[]) => any;

/** How a method's instance takes part in the key; functions have no instance. */
export type InstanceKey = (self: unknown) => unknown;

/**
 * The engine of one memoized function: settings, key, the hit fast path, and the hand-off of
 * everything else to the flow (flow.ts, driven by drivers.ts); plus the management methods.
 */
export class Memo implements MemoHost {
  readonly name: string;
  settings!: Settings;
  /** Bumped by clearCache/invalidation: calculations that started before do not store. */
  epoch = 0;
  /** Counters, events, verbose traces and fault reports of this function. */
  readonly record: CallRecorder;
  /** undefined until the function has returned once (or was declared/detected async). */
  private isAsync: boolean | undefined;
  private openedCore: Core | undefined;
  private settingsVersion = -1;
  private enabled = true;
  private defaultPolicy!: CallPolicy;
  readonly inFlight = new SingleFlight();
  /** Its registration in a manager, which may hold it weakly: the engine keeps it alive. */
  registration: object | undefined;
  readonly fences = new KeyFences();
  readonly breaker = new CircuitBreaker(() => this.forgetHit());
  private readonly refreshing = new Set<string>();
  private clearing: Promise<void> | undefined;
  private lastCleanup = Number.NEGATIVE_INFINITY;
  private readonly primitiveKeys = new PrimitiveKeyCache();
  private readonly lastArguments = new LastArgumentsKey();
  private readonly computeKey = (args: readonly unknown[]) => this.primitiveKeys.keyFor(args, defaultKey);
  /** Held here: read on every call, and an imported binding can cost a getter call per read. */
  private readonly config = configState;
  /**
   * The last hit answered from a core that offers `changes` (memory), with the default policy:
   * while its core's revision stands and the entry is still fresh, arguments that read the
   * same get the same answer without a key or a lookup. hitImage undefined: none.
   */
  private hitChanges: { readonly revision: number } = { revision: -1 };
  private hitRevision = 0;
  /** What the arguments of the remembered hit read as (their key was the hit's). */
  private hitImage: ArgumentsImage | undefined;
  /** The entry's time (fresh while defaultFreshFor has not passed since). */
  private hitTime = 0;
  private hitAnswer: unknown;
  /**
   * The general hit path: while set (the core's `changes`), hits noted in the primitive-key
   * trie's leaves may be answered from there, each while its core's revision stands and its
   * entry is fresh. Set by a noted hit, unset (and the notes dropped) by forgetHit.
   */
  private leafChanges: { readonly revision: number } | undefined;
  /** The leaf the general path answered last: the same again is left to the repeated-hit path. */
  private lastLeaf: KeyLeaf | undefined;
  /** How long an entry is fresh under the default policy (freshness()'s rule, for a completed entry). */
  private defaultFreshFor = 0;
  /** Hits answered by the repeated-hit and general paths, which count them here and emit nothing (no onEvent there). */
  private repeatedHits = 0;

  constructor(
    readonly fn: AnyFunction,
    readonly options: CachedOptions,
    name: string | undefined,
    private readonly instanceKey?: InstanceKey,
  ) {
    validateDecoration(options, currentParams());
    if (!name) {
      if (isPersistent(backendOf(options, currentParams()))) {
        throw new MemoirError(
          'INVALID_OPTION',
          'Invalid option "name": an anonymous function on a persistent backend needs a name, ' +
            'so its entries can be found again after a restart. Pass { name: "..." }.',
        );
      }
      name = `anonymous#${anonymousNames.count++}`;
    }
    this.name = name;
    this.record = new CallRecorder(name);
    this.isAsync = options.async ?? (fn.constructor?.name === 'AsyncFunction' ? true : undefined);
    this.refreshSettings(); // parses units now: a bad duration fails at decoration
  }

  // ── the call ────────────────────────────────────────────────────────────────────────────

  call(self: unknown, args: readonly unknown[], callOptions?: CallOptions): unknown {
    // The repeated hit, kept small so that it inlines: the arguments read as the last call's
    // (default keys), that call's key was a hit, nothing changed in the store since (its
    // revision), the entry is still fresh by the function's clock, and the call has the
    // default policy under the same settings. (A backend failure forgets the hit.) Anything
    // else takes the whole path below.
    const image = this.hitImage;
    if (
      image !== undefined &&
      callOptions === undefined &&
      this.settingsVersion === this.config.version &&
      this.hitChanges.revision === this.hitRevision &&
      image.matches(args) &&
      this.freshSince(this.hitTime)
    ) {
      this.repeatedHits++;
      return this.hitAnswer;
    }
    return this.leafChanges !== undefined && callOptions === undefined ? this.generalHit(self, args) : this.callThrough(self, args, callOptions);
  }

  /**
   * The general hit: the arguments are primitives whose key the trie remembers, and its leaf
   * noted a hit on that key under the current settings (notes are dropped when they change),
   * the core's revision still the one of that hit, and the entry still fresh.
   */
  private generalHit(self: unknown, args: readonly unknown[]): unknown {
    const leaf = this.primitiveKeys.find(args);
    if (
      leaf !== undefined &&
      leaf.revision === this.leafChanges!.revision &&
      leaf !== this.lastLeaf &&
      this.settingsVersion === this.config.version &&
      this.freshSince(leaf.time)
    ) {
      this.lastLeaf = leaf;
      this.repeatedHits++;
      return leaf.answer;
    }
    // A note the store has moved past lets go of its answer now (the call notes it again if
    // it hits), rather than keeping a value the store may no longer hold.
    if (leaf !== undefined && leaf.revision !== this.leafChanges!.revision) {
      leaf.revision = -1;
      leaf.answer = undefined;
    }
    return this.callThrough(self, args, undefined);
  }

  /**
   * True when calls answer with a promise: an async function (or `async: true`), or any
   * function on a core without synchronous reads (Redis, SQL, MongoDB), whose type says so.
   */
  private answersWithPromise(): boolean {
    return this.isAsync === true || (this.openedCore ?? this.core()).sync === undefined;
  }

  /** The function itself, no cache (disabled, or skipCache), in the form a cached call has. */
  private uncached(self: unknown, args: readonly unknown[]): unknown {
    if (!this.answersWithPromise()) return this.fn.apply(self, args as unknown[]);
    try {
      return Promise.resolve(this.fn.apply(self, args as unknown[]));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Whether a completed entry stored at `time` is still fresh under the default policy (freshness()'s rule). */
  private freshSince(time: number): boolean {
    return this.defaultFreshFor === Number.POSITIVE_INFINITY || this.settings.clock() - time <= this.defaultFreshFor;
  }

  private callThrough(self: unknown, args: readonly unknown[], callOptions: CallOptions | undefined): unknown {
    if (this.settingsVersion !== this.config.version) this.refreshSettings();
    if (!this.enabled || callOptions?.skipCache) return this.uncached(self, args);
    let key: string;
    try {
      key = this.keyFor(args, self);
    } catch (error) {
      // A call answered by a promise reports every failure through it, unhashable arguments too.
      if (this.answersWithPromise()) return Promise.reject(error);
      throw error;
    }
    const core = this.openedCore ?? this.core();
    const policy = callOptions === undefined ? this.defaultPolicy : callPolicy(this.settings, callOptions);
    if (this.settings.cleanupStale) this.maybeCleanup(core);
    const sync = core.sync;
    if (!this.breaker.admits()) return this.bypassBackend(key, policy, { self, args });

    if (this.isAsync === true || sync === undefined) {
      // Hit fast path for cores whose sync reads do no I/O (memory).
      if (core.nonBlocking && sync && !policy.overwrite && this.clearing === undefined) {
        const revision = core.changes?.revision;
        let entry: Entry | undefined;
        try {
          entry = sync.get(key);
        } catch (failure) {
          // Through the promise, like every other failure of an async call.
          return this.callAsync(key, policy, { self, args }, { failure });
        }
        if (freshness(entry, policy, this.settings.clock) === FRESH) {
          this.record.hit(key, policy);
          const answer = Promise.resolve(entry!.value);
          if (revision !== undefined && policy === this.defaultPolicy) this.rememberHit(key, core, revision, entry!, answer);
          return answer;
        }
        return this.callAsync(key, policy, { self, args }, { entry });
      }
      if (policy.overwrite || this.clearing !== undefined) return this.callAsync(key, policy, { self, args });
      return this.lookUp(core, key, policy, self, args);
    }

    let prefetched: Prefetched | undefined;
    if (!policy.overwrite) {
      try {
        const revision = core.changes?.revision;
        const entry = sync.get(key);
        if (freshness(entry, policy, this.settings.clock) === FRESH) {
          this.record.hit(key, policy);
          const answer = this.answer(entry!);
          if (revision !== undefined && policy === this.defaultPolicy) this.rememberHit(key, core, revision, entry!, answer);
          return answer;
        }
        prefetched = { entry };
      } catch {
        // Let the flow meet the failure again and apply the backend-error policy.
      }
    }
    const site: CallSite = { self, args };
    return driveSync(this, callFlow(this, key, policy, site, prefetched), site, sync);
  }

  /** The backend failed moments ago: answer without it (circuit-breaker.ts). */
  private bypassBackend(key: string, policy: CallPolicy, site: CallSite): unknown {
    const sync = this.core().sync;
    if (this.isAsync === true || sync === undefined) return driveAsync(this, bypassFlow(this, key, policy), site);
    return driveSync(this, bypassFlow(this, key, policy), site, sync);
  }

  /**
   * An async call's lookup, outside the flow: a hit is answered here, anything else goes to
   * the flow with the entry (or the failure) in hand, so nothing is read twice. A core that
   * can read at once (`peek`: SQLite) costs no promise but the answer's.
   */
  private lookUp(core: Core, key: string, policy: CallPolicy, self: unknown, args: readonly unknown[]): Promise<unknown> {
    if (core.peek !== undefined) {
      const entry = core.peek(key);
      if (entry !== WOULD_WAIT) {
        this.breaker.succeeded();
        if (freshness(entry, policy, this.settings.clock) !== FRESH) return this.callAsync(key, policy, { self, args }, { entry });
        this.record.hit(key, policy);
        return Promise.resolve(this.answer(entry!));
      }
    }
    let lookup: Promise<Entry | undefined>;
    try {
      lookup = core.get(key);
    } catch (failure) {
      return this.callAsync(key, policy, { self, args }, { failure });
    }
    return lookup.then(
      (entry) => {
        this.breaker.succeeded();
        if (freshness(entry, policy, this.settings.clock) !== FRESH) return this.callAsync(key, policy, { self, args }, { entry });
        this.record.hit(key, policy);
        // Inside the lookup's promise a promised value needs no promise of its own (which
        // the chain would have to unwrap, two more turns of the microtask queue).
        if (entry!.promised && this.isAsync !== false) this.becomeAsync();
        return entry!.value;
      },
      (failure) => this.callAsync(key, policy, { self, args }, { failure }),
    );
  }

  private async callAsync(key: string, policy: CallPolicy, site: CallSite, prefetched?: Prefetched): Promise<unknown> {
    if (this.clearing) await this.clearing;
    return driveAsync(this, callFlow(this, key, policy, site, prefetched), site);
  }

  /**
   * Remembers a hit for the repeated-hit path of `call`: only for default keys (a hashFunc or
   * a method's instance may key the same arguments differently from one call to the next), not
   * with cleanupStale (its sweep runs from the call path) or onEvent (every hit is an event),
   * nor for a core that copies values (it offers no `changes`).
   */
  private rememberHit(key: string, core: Core, revision: number, entry: Entry, answer: unknown): void {
    const { settings } = this;
    if (!this.breaker.healthy || settings.cleanupStale || settings.onEvent !== undefined || settings.hashFunc !== undefined || this.instanceKey !== undefined) return;
    // The trie's leaf of this key (keyFor may have answered from the last-arguments image, so
    // the leaf last met is checked to be this key's): noted for the general hit path.
    const leaf = this.primitiveKeys.lastLeaf;
    if (leaf !== undefined && leaf.key === key) {
      leaf.revision = revision;
      leaf.time = entry.time;
      leaf.answer = answer;
      this.leafChanges = core.changes!;
    }
    // keyFor just gave `key` for these arguments: the last-arguments image is theirs.
    const image = this.lastArguments.image;
    if (image === undefined || this.lastArguments.key !== key) return;
    this.hitImage = image;
    this.hitChanges = core.changes!;
    this.hitRevision = revision;
    this.hitTime = entry.time;
    this.hitAnswer = answer;
  }

  private forgetHit(): void {
    this.hitImage = undefined;
    this.hitAnswer = undefined;
    if (this.leafChanges !== undefined) {
      // The notes were taken under what just changed; the keys are dropped with them (the
      // trie has no cheaper way to forget), and are made again as they are met.
      this.leafChanges = undefined;
      this.lastLeaf = undefined;
      this.primitiveKeys.clear();
    }
  }

  keyFor(args: readonly unknown[], self?: unknown): string {
    const { hashFunc } = this.settings;
    if (hashFunc) {
      const context: KeyContext = { name: this.name, self };
      const key = hashFunc(normalizeArgs(args), context);
      if (typeof key !== 'string') {
        throw new MemoirError('INVALID_OPTION', `Invalid option "hashFunc" of "${this.name}": it returned ${typeof key}, expected a string.`);
      }
      return key;
    }
    if (this.instanceKey === undefined) return this.lastArguments.keyFor(args, this.computeKey);
    return methodKey(this.instanceKey(self), args);
  }

  // ── what the flow and drivers use (MemoHost) ────────────────────────────────────────────

  core(): Core {
    if (this.openedCore) return this.openedCore;
    const params = currentParams();
    const backend = backendOf(this.options, params);
    const pick = <K extends keyof CachedOptions & keyof typeof params>(key: K) => this.options[key] ?? params[key];
    const { serializer: _serializer, ...options } = this.options;
    const timeout = pick('timeout');
    this.openedCore = openBackend(backend, {
      name: this.name,
      // The function's own options, with the storage ones filled in from the globals. The
      // serializer is the engine's (openBackend wraps the core), never a core's own.
      options: {
        ...options,
        cacheDir: pick('cacheDir'),
        separateFiles: pick('separateFiles'),
        mongetter: pick('mongetter'),
        redis: pick('redis'),
        sql: pick('sql'),
        table: pick('table'),
        timeout: pick('timeout'),
        // Shared cores judge leases on their server's clock and report marks on this one.
        clock: () => this.settings.clock(),
        copy: pick('copy'),
        // Cores that recover from faults on their own (file) throw instead in 'throw' mode.
        strict: this.settings.onBackendError === 'throw',
      },
      report: (event) => this.record.coreEvent({ ...event, cache: this.name }),
    }, {
      serializer: pick('serializer'),
      timeout: timeout === undefined ? undefined : parseDuration(timeout, 'timeout'),
    });
    // Held weakly: the list of open cores must not keep a dropped function alive.
    const self = new WeakRef<Memo>(this);
    remember(this.openedCore, () => {
      const memo = self.deref();
      if (memo) {
        memo.openedCore = undefined;
        memo.forgetHit();
      }
    });
    return this.openedCore;
  }

  learnAsync(): void {
    this.becomeAsync();
  }

  /** From now on calls answer with promises: a remembered plain answer no longer fits. */
  private becomeAsync(): void {
    if (this.isAsync === true) return;
    this.isAsync = true;
    this.forgetHit();
  }

  returnsPromise(): boolean {
    return this.isAsync === true;
  }

  answer(entry: Entry): unknown {
    // The `async` option, when given, overrides what the entry says.
    if (!entry.promised || this.isAsync === false) return entry.value;
    this.becomeAsync();
    return Promise.resolve(entry.value);
  }

  refreshInBackground(key: string, site: CallSite): void {
    if (this.refreshing.has(key)) return;
    this.refreshing.add(key);
    const policy = this.defaultPolicy;
    setImmediate(() => {
      driveAsync(this, refreshFlow(this, key, policy), site)
        .catch((error) => this.record.warnOnce(`refresh:${key}`, `background refresh of "${this.name}" failed: ${String(error)}`))
        .finally(() => this.refreshing.delete(key));
    });
  }

  private maybeCleanup(core: Core): void {
    const now = this.settings.clock();
    if (now - this.lastCleanup < this.settings.cleanupInterval) return;
    this.lastCleanup = now;
    if (!Number.isFinite(this.settings.staleAfter)) return;
    const before = now - this.settings.staleAfter;
    setImmediate(() => {
      core.deleteStale(before).catch((error) => noteBackendFault(this, error));
    });
  }

  // ── management ──────────────────────────────────────────────────────────────────────────

  /** Fences in-flight calculations: they still answer their callers but do not store. */
  fence(): void {
    this.epoch++;
    this.inFlight.forgetAll();
    this.forgetHit();
  }

  /**
   * Runs a management operation on the core: on a core with sync operations the work is done
   * before this returns (the promise is already settled), so an un-awaited `clearCache()`
   * followed by a call never meets the old entry; elsewhere through the async operation,
   * which calls of this function wait for before they read.
   */
  private manage<T>(viaSync: (ops: StoreOperations<'sync'>) => T, viaAsync: (core: Core) => Promise<T>): Promise<T> {
    const core = this.core();
    if (core.sync) {
      try {
        return Promise.resolve(viaSync(core.sync));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const pending = viaAsync(core);
    const settled = pending.then(
      () => undefined,
      () => undefined,
    );
    this.clearing = settled;
    void settled.then(() => {
      if (this.clearing === settled) this.clearing = undefined;
    });
    return pending;
  }

  /** The manager's entry point: fence now, clear storage (synchronously where possible). */
  invalidateAll(): Promise<void> {
    this.fence();
    return this.manage((ops) => ops.clear(), (core) => core.clear());
  }

  clearCache(): Promise<void> {
    return this.invalidateAll();
  }

  precache(args: readonly unknown[], value: unknown, self?: unknown): Promise<unknown> {
    // Plain-JS callers get no compile error for precacheValue(2, value): say what is wanted.
    if (!Array.isArray(args)) {
      return Promise.reject(
        new MemoirError(
          'UNHASHABLE_ARGUMENT',
          `precacheValue of "${this.name}" takes the arguments as an array, e.g. precacheValue([2, 2], value); got ${describe(args)}.`,
        ),
      );
    }
    // Too few arguments would store the value under the key of a call with `undefined` for
    // the rest (trailing undefined arguments do not count), not the call that was meant.
    if (args.length < this.fn.length) {
      return Promise.reject(
        new MemoirError(
          'INVALID_ARGUMENT',
          `precacheValue of "${this.name}" got ${args.length} argument${args.length === 1 ? '' : 's'} for a function of ${this.fn.length}: pass the whole argument list, e.g. precacheValue([${Array.from({ length: this.fn.length }, (_, i) => `arg${i + 1}`).join(', ')}], value).`,
        ),
      );
    }
    let key: string;
    try {
      key = this.keyFor(args, self);
    } catch (error) {
      return Promise.reject(error);
    }
    const options = { time: this.settings.clock(), promised: this.isAsync === true };
    return this.manage((ops) => ops.write(key, value, options),
      (core) => core.write(key, value, options),
    ).then(() => value);
  }

  /** Deletes one entry; its calculations running now answer their callers but do not store. */
  invalidateKey(args: readonly unknown[], self?: unknown): Promise<void> {
    let key: string;
    try {
      key = this.keyFor(args, self);
    } catch (error) {
      return Promise.reject(error);
    }
    this.fences.fence(key);
    this.inFlight.forget(key);
    return this.manage((ops) => ops.delete(key), (core) => core.delete(key));
  }

  /**
   * The recovery tool: drops every mark of this function, and lets go of the calculations
   * running in this process, so the next caller computes instead of joining one that hangs.
   */
  clearBeingCalculated(): Promise<void> {
    this.inFlight.releaseAll();
    return this.manage((ops) => ops.clearBeingCalculated(), (core) => core.clearBeingCalculated());
  }

  async isCached(args: readonly unknown[], self?: unknown): Promise<boolean> {
    return (await this.completedEntry(args, self)) !== undefined;
  }

  async peek(args: readonly unknown[], self?: unknown): Promise<unknown> {
    return (await this.completedEntry(args, self))?.value;
  }

  /** The completed entry of `args`, read as a call reads it: after a clear still under way. */
  private async completedEntry(args: readonly unknown[], self: unknown): Promise<Entry | undefined> {
    const key = this.keyFor(args, self);
    if (this.clearing) await this.clearing;
    const entry = await this.core().get(key);
    return entry?.completed ? entry : undefined;
  }

  stats(): CacheStats {
    const counters = this.record.counters;
    return { ...counters, hits: counters.hits + this.repeatedHits };
  }

  // ── settings ────────────────────────────────────────────────────────────────────────────

  refreshSettings(): void {
    const params = currentParams();
    this.enabled = params.cachingEnabled;
    this.settings = resolveSettings(this.options, params);
    this.record.settings = this.settings;
    this.defaultPolicy = callPolicy(this.settings, undefined);
    this.defaultFreshFor = this.defaultPolicy.freshFor;
    this.settingsVersion = this.config.version;
    this.forgetHit(); // remembered under the old policy
  }

}

/** One sequence per process: both module copies of memoir share the memory stores by name. */
const anonymousNames = processState('anonymous-names', () => ({ count: 0 }));

