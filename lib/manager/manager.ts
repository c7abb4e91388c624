import {
  type AutoSyncRule,
  AutoSyncSchedule,
  type Clock,
  DEFAULT_AUTO_SYNC_RULES,
  type ParsedRule,
  parseAutoSyncRules,
  systemClock,
} from './auto-sync';
import { defaultCacheDirectory, processState } from '../util';
import { type CacheHooks, type CacheKey, type HookName, resolveContents } from './hooks';
import { assertValidName, assertValidReference } from './cache-name';
import { cacheFilePath } from './persistence';
import {
  type CacheManagerOptions,
  type CacheOptions,
  conflict,
  notMapLike,
  pickHooks,
  registrationDifferences,
  unknown,
  validateOptions,
} from './registration';
import { cacheStorage, discardSaved } from './storage';
import { preciseWallClockMs, StampClock } from './stamps';
import { DependencyGraph } from './dependency-graph';
import { invalidOption, MemoirError } from '../errors';
import { type CachePersistence, ManagedCache } from './managed-cache';
import { type ExternalCache, ExternalCaches, type ExternalRegistrationOptions } from './external-caches';

export type { CacheManagerOptions, CacheOptions } from './registration';

export type { ExternalCache, ExternalRegistrationOptions } from './external-caches';

/**
 * Named caches, the dependencies between them, their persistence hooks and their auto-sync
 * schedule. Map-like caches and memoized functions' caches share one namespace and one
 * dependency graph, so invalidating a cache reaches memoized functions that depend on it.
 */
export class CacheManager {
  readonly name: string;
  private readonly caches = new Map<string, ManagedCache<any, any>>();
  private readonly registrations = new Map<string, CacheOptions<any, any>>();
  private readonly externals = new ExternalCaches((name) => this.forgetCollected(name));
  private readonly hooks = new Map<string, CacheHooks<any, any>>();
  private readonly graph = new DependencyGraph();
  private readonly clock: Clock;
  private readonly onWarning: (warning: Error) => void;
  private explicitDirectory: string | undefined;
  private managerRules: ParsedRule[];
  private managerRulesInput: readonly AutoSyncRule[] | false;

  constructor(name = 'default', options: CacheManagerOptions = {}) {
    assertValidName('manager', name);
    this.name = name;
    this.explicitDirectory = options.cacheDirectory;
    this.clock = options.clock ?? systemClock;
    this.onWarning = options.onWarning ?? ((warning) => process.emitWarning(warning));
    this.managerRulesInput = options.autoSync ?? DEFAULT_AUTO_SYNC_RULES;
    this.managerRules = parseAutoSyncRules(this.managerRulesInput);
  }

  /** Base directory of persistent caches; they live in `<cacheDirectory>/<managerName>/`. */
  get cacheDirectory(): string {
    return this.explicitDirectory ?? defaultCacheDirectory();
  }

  set cacheDirectory(directory: string) {
    if (typeof directory !== 'string' || directory.length === 0) {
      throw invalidOption('cacheDirectory', directory, 'a non-empty path');
    }
    this.explicitDirectory = directory;
  }

  /** Thresholds for caches registered without `autoSync`; changing them applies from the next change. */
  get autoSync(): readonly AutoSyncRule[] | false {
    return this.managerRulesInput;
  }

  set autoSync(rules: readonly AutoSyncRule[] | false) {
    this.managerRules = parseAutoSyncRules(rules);
    this.managerRulesInput = rules;
  }

  /** A persistent cache by default; see CacheOptions. Registering again with the same options returns the same cache. */
  registerCache<K extends CacheKey = CacheKey, V = unknown>(
    name: string,
    options: CacheOptions<K, V> = {},
  ): ManagedCache<K, V> {
    assertValidName('cache', name);
    const existing = this.caches.get(name);
    if (existing) {
      this.assertSameRegistration(name, options);
      return existing;
    }
    if (this.externals.has(name)) {
      throw conflict(name, "it is a memoized function's cache");
    }
    const persistent = options.persistent ?? true;
    validateOptions(name, options, persistent);
    const cacheRules =
      options.autoSync === undefined ? undefined : parseAutoSyncRules(options.autoSync);
    const previousHooks = this.hooks.get(name);
    this.hooks.set(name, { ...previousHooks, ...pickHooks(options) });
    // The system clock gets sub-millisecond stamps; an injected clock (tests) is used as is.
    const stamps = new StampClock(
      this.clock === systemClock ? preciseWallClockMs : () => this.clock.now(),
    );
    const persistence = persistent ? this.persistenceFor<K, V>(name, stamps) : undefined;
    let start: ReturnType<CachePersistence<K, V>['load']>;
    try {
      start = persistence
        ? persistence.load()
        : resolveContents<K, V>(name, { builder: options.builder }, undefined);
    } catch (error) {
      // A failing hook leaves no half-registered cache behind.
      if (previousHooks) this.hooks.set(name, previousHooks);
      else this.hooks.delete(name);
      throw error;
    }
    const cache = new ManagedCache<K, V>({
      name,
      owner: { invalidate: (n) => this.invalidate(n), report: (p) => this.report(p) },
      initial: start.contents,
      // Built contents cost work: they count as a change so they get saved.
      initialIsUnsaved: start.built,
      persistence,
      stamps,
      makeSchedule: persistent
        ? (save) => new AutoSyncSchedule(this.clock, () => cacheRules ?? this.managerRules, save)
        : undefined,
    });
    this.caches.set(name, cache);
    this.registrations.set(name, { ...options });
    return cache;
  }

  /** The same as `registerCache`; kept for the classic API where options are the point. */
  registerCustomCache<K extends CacheKey = CacheKey, V = unknown>(
    name: string,
    options: CacheOptions<K, V> = {},
  ): ManagedCache<K, V> {
    return this.registerCache(name, options);
  }

  /** The registered Map-like cache, or a new non-persistent one registered under `name`. */
  retrieveCache<K extends CacheKey = CacheKey, V = unknown>(name: string): ManagedCache<K, V> {
    assertValidName('cache', name);
    if (this.externals.has(name)) {
      throw new MemoirError(
        'NOT_SUPPORTED',
        `Cache "${name}" belongs to a memoized function; use the function's methods or manager.invalidate("${name}").`,
      );
    }
    return (
      (this.caches.get(name) as ManagedCache<K, V>) ??
      this.registerCache(name, { persistent: false })
    );
  }

  /**
   * Registers a memoized function's cache so invalidations reach it. Registering the same
   * name again replaces the previous one (functions are re-created, e.g. in tests).
   * `{ weak: true }` holds it only as long as something else does (see ExternalCaches).
   */
  registerExternalCache(
    name: string,
    cache: ExternalCache,
    options?: ExternalRegistrationOptions,
  ): void {
    assertValidReference(name);
    if (this.caches.has(name)) throw conflict(name, 'it is already a Map-like cache');
    if (!cache || typeof cache.invalidate !== 'function') {
      throw invalidOption('cache', cache, 'an object with an invalidate() method');
    }
    this.externals.set(name, cache, options);
  }

  hasCache(name: string): boolean {
    return this.caches.has(name) || this.externals.has(name);
  }

  /** Names of all registered caches, Map-like and memoized functions', in registration order. */
  cacheNames(): string[] {
    return [...this.caches.keys(), ...this.externals.names()];
  }

  /**
   * Makes `dependentName` depend on `parentName`: invalidating the parent invalidates the
   * dependent. Names need not be registered yet. An edge closing a cycle is DEPENDENCY_CYCLE.
   */
  registerDependentCache(parentName: string, dependentName: string): void {
    assertValidReference(parentName);
    assertValidReference(dependentName);
    this.graph.addEdge(parentName, dependentName);
  }

  registerSaver<K extends CacheKey, V>(
    name: string,
    saver: NonNullable<CacheHooks<K, V>['saver']>,
  ): void {
    this.setHook(name, 'saver', saver);
  }

  registerLoader<K extends CacheKey, V>(
    name: string,
    loader: NonNullable<CacheHooks<K, V>['loader']>,
  ): void {
    this.setHook(name, 'loader', loader);
  }

  registerDeleter(name: string, deleter: NonNullable<CacheHooks['deleter']>): void {
    this.setHook(name, 'deleter', deleter);
  }

  registerValidator<K extends CacheKey, V>(
    name: string,
    validator: NonNullable<CacheHooks<K, V>['validator']>,
  ): void {
    this.setHook(name, 'validator', validator);
  }

  registerBuilder<K extends CacheKey, V>(
    name: string,
    builder: NonNullable<CacheHooks<K, V>['builder']>,
  ): void {
    this.setHook(name, 'builder', builder);
  }

  /** Saves a registered Map-like cache now (see ManagedCache.save). */
  saveCacheContents(name: string): Promise<void> {
    try {
      return this.mapLike(name).save();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Reloads a registered Map-like cache from its saved contents (see ManagedCache.load). */
  loadCacheContents(name: string): void {
    this.mapLike(name).load();
  }

  /**
   * Deletes the saved contents of `name` without touching what is in memory. Works for names
   * not registered in this process too (the default file, or a registered deleter).
   */
  async deleteSavedCacheContents(name: string): Promise<void> {
    assertValidName('cache', name);
    if (this.externals.has(name)) throw notMapLike(name);
    const cache = this.caches.get(name);
    if (cache && !cache.persistent) return;
    await discardSaved({
      cacheName: name,
      hooks: () => this.hooks.get(name) ?? {},
      file: () => this.fileOf(name),
    });
  }

  /**
   * Clears `name` and every cache depending on it, transitively, each exactly once. Map-like
   * caches are cleared before this returns; the promise settles when asynchronous clears
   * (deleters, memoized functions' backends) are done, rejecting with the first failure after
   * all of them ran. An unknown name is UNKNOWN_CACHE.
   */
  invalidate(name: string): Promise<void> {
    if (!this.hasCache(name) && !this.graph.mentions(name)) {
      return Promise.reject(unknown(name));
    }
    const waits: Promise<unknown>[] = [];
    const failures: unknown[] = [];
    for (const target of this.graph.closureOf(name)) {
      const clear = this.caches.get(target) ?? this.externals.get(target);
      if (!clear) continue;
      try {
        const result = clear instanceof ManagedCache ? clear.invalidateSelf() : clear.invalidate();
        if (result) waits.push(Promise.resolve(result).catch((error) => failures.push(error)));
      } catch (error) {
        failures.push(error);
      }
    }
    const settle = () => {
      if (failures.length === 0) return;
      for (const extra of failures.slice(1)) this.report(extra);
      throw failures[0];
    };
    return waits.length === 0 ? Promise.resolve().then(settle) : Promise.all(waits).then(settle);
  }

  /** Saves every persistent cache that has unsaved changes. */
  async flush(): Promise<void> {
    await Promise.all(
      [...this.caches.values()].filter((c) => c.unsavedChanges > 0).map((c) => c.save()),
    );
  }

  private setHook(name: string, hook: HookName, fn: unknown): void {
    assertValidName('cache', name);
    if (typeof fn !== 'function') throw invalidOption(hook, fn, 'a function');
    if (this.externals.has(name)) throw notMapLike(name);
    const cache = this.caches.get(name);
    if (cache && !cache.persistent && hook !== 'builder') {
      throw conflict(name, `it is not persistent, so a ${hook} would never run`);
    }
    this.hooks.set(name, { ...this.hooks.get(name), [hook]: fn });
  }

  /** The cache's storage: hooks looked up at each use (they may be registered later), else the default file. */
  private persistenceFor<K extends CacheKey, V>(
    name: string,
    stamps: StampClock,
  ): CachePersistence<K, V> {
    return cacheStorage<K, V>({
      cacheName: name,
      hooks: () => this.hooks.get(name) ?? {},
      file: () => this.fileOf(name),
      stamps,
      report: (problem) => this.report(problem),
    });
  }

  private fileOf(name: string): string {
    return cacheFilePath(this.cacheDirectory, this.name, name);
  }

  private mapLike(name: string): ManagedCache<any, any> {
    assertValidName('cache', name);
    const cache = this.caches.get(name);
    if (cache) return cache;
    throw this.externals.has(name) ? notMapLike(name) : unknown(name);
  }

  private assertSameRegistration(name: string, options: CacheOptions<any, any>): void {
    const differences = registrationDifferences(this.registrations.get(name) ?? {}, options);
    if (differences.length > 0) {
      throw conflict(
        name,
        `it is already registered with different ${differences.join(', ')} (use retrieveCache to get it)`,
      );
    }
  }

  /**
   * A weakly registered cache was collected: its name leaves the dependency graph too, unless
   * a Map-like cache took the name meanwhile. Otherwise a program creating dependent memory
   * functions per request would grow the graph by one node per call.
   */
  private forgetCollected(name: string): void {
    if (!this.caches.has(name)) this.graph.forget(name);
  }

  private report(problem: unknown): void {
    try {
      this.onWarning(problem instanceof Error ? problem : new Error(String(problem)));
    } catch {
      // A failing warning handler must not turn a reported problem into a crash.
    }
  }
}

/** The named managers, one set per process (shared by both module copies of memoir). */
const managers = processState('managers', () => new Map<string, CacheManager>());

/** The process-wide manager called `name` ('default' when omitted), created on first use. */
export function getCacheManager(name = 'default'): CacheManager {
  assertValidName('manager', name);
  let manager = managers.get(name);
  if (!manager) managers.set(name, (manager = new CacheManager(name)));
  return manager;
}
