/**
 * The callable a memoized function or decorated method is: the engine's `call` plus the
 * management methods of API.md section 2. Shared by `cached(fn)` and `@cached`.
 */
import { getCacheManager } from './manager';
import { claimDefaultName, type DefinitionSite, defaultName, describeSite, type InstanceKey, Memo } from './engine';
import type { CachedOptions, CallOptions } from './options';
import type { CacheStats } from './engine';
import { backendOf, currentParams, validateCallOptions } from './config';
import type { ExternalCache } from './manager';

type AnyFunction = (...args: any[]) => any;

/** The management methods every memoized function (and decorated method) carries. */
export interface MemoizedMethods<F extends AnyFunction> {
  /** Deletes all entries of this function. */
  clearCache(): Promise<void>;
  /** Drops every being-calculated mark of this function (a recovery tool; leases make it rarely needed). */
  clearBeingCalculated(): Promise<void>;
  /** Stores `value` as the result for the argument tuple `args`. */
  precacheValue(args: AllArguments<F>, value: Awaited<ReturnType<F>>): Promise<Awaited<ReturnType<F>>>;
  /** Directory of this function's entries on the file backend; undefined otherwise. */
  cachePath(): string | undefined;
  /** The same function with per-call options applied. */
  with(options: CallOptions): F;
  /** Deletes the entry for these arguments only. */
  invalidate(...args: Parameters<F>): Promise<void>;
  /** The cached value for these arguments (fresh or stale), without computing. */
  peek(...args: Parameters<F>): Promise<Awaited<ReturnType<F>> | undefined>;
  /** Whether a completed entry exists for these arguments. */
  isCached(...args: Parameters<F>): Promise<boolean>;
  /** The key these arguments map to. */
  keyFor(...args: Parameters<F>): string;
  /** Counters since the function was created. */
  stats(): CacheStats;
  /** The cache name (namespace) of this function. */
  readonly cacheName: string;
}

export type Memoized<F extends AnyFunction> = F & MemoizedMethods<F>;

/**
 * The whole argument list of F, optional parameters included (as `T | undefined`): a shorter
 * list cannot say which call it precaches, so precacheValue refuses it at run time too.
 */
export type AllArguments<F extends AnyFunction> = SpelledOut<Parameters<F>>;

type SpelledOut<P extends readonly unknown[]> = number extends P['length']
  ? P // not a fixed tuple (rest parameters, or any[]): nothing to spell out
  : P extends []
  ? []
  : P extends [infer Head, ...infer Rest]
    ? [Head, ...SpelledOut<Rest>]
    : P extends [(infer Head)?, ...infer Rest]
      ? [Head | undefined, ...SpelledOut<Rest>]
      : P;

/** A sync function on an async-only backend returns a promise of its result. */
export type Promisified<F extends AnyFunction> = (...args: Parameters<F>) => Promise<Awaited<ReturnType<F>>>;

/** `@cached(options)`: works as a TC39 (TypeScript 5+) and as a legacy method decorator. */
export interface CachedDecorator {
  <This, F extends (this: This, ...args: any[]) => any>(
    value: F,
    context: ClassMethodDecoratorContext<This, F>,
  ): F;
  <T>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ): TypedPropertyDescriptor<T>;
}

/** Builds the callable for `memo`, bound to `self` (undefined for plain functions). */
export function memoizedFunction<F extends AnyFunction>(memo: Memo, self?: unknown): Memoized<F> {
  const bound = self !== undefined;
  const call = function (this: unknown, ...args: unknown[]) {
    return memo.call(bound ? self : this, args);
  } as unknown as F;
  const methods: MemoizedMethods<F> = {
    cacheName: memo.name,
    clearCache: () => memo.clearCache(),
    clearBeingCalculated: () => memo.clearBeingCalculated(),
    precacheValue: (args, value) => memo.precache(args, value, self) as Promise<Awaited<ReturnType<F>>>,
    cachePath: () => memo.core().path,
    with(options) {
      validateCallOptions(options);
      return function (this: unknown, ...args: unknown[]) {
        return memo.call(bound ? self : this, args, options);
      } as unknown as F;
    },
    invalidate: (...args) => memo.invalidateKey(args, self),
    peek: (...args) => memo.peek(args, self) as Promise<Awaited<ReturnType<F>> | undefined>,
    isCached: (...args) => memo.isCached(args, self),
    keyFor: (...args) => memo.keyFor(args, self),
    stats: () => memo.stats(),
  };
  // Plain data properties, as in the literal (assign allocates no descriptor objects: this
  // runs once per memoized function, and some programs create one per request).
  Object.assign(call, methods);
  Object.defineProperties(call, {
    name: { value: memo.fn.name, configurable: true },
    length: { value: memo.fn.length, configurable: true },
  });
  return call as Memoized<F>;
}

/**
 * Creates the engine of a function and registers its cache in the manager. Without an
 * explicit `name`, the name is `local` qualified by the defining module (`site`); a different
 * function landing on a default name another one already uses gets a name of its own
 * (claimDefaultName), and both places are named in a warning.
 *
 * A function on the memory backend without an explicit `name` is registered weakly: its
 * entries die with it, so once nothing references it there is nothing left to invalidate,
 * and a program that creates such functions per request must not keep every one of them
 * (and its entries) forever. Everything else is registered strongly: its entries outlive it
 * (on disk, on a server, or in a memory store pinned by its explicit name), so invalidating
 * by name must keep reaching them.
 */
export function createMemo(
  fn: AnyFunction,
  options: CachedOptions,
  local: string | undefined,
  site: DefinitionSite | undefined,
  instanceKey?: InstanceKey,
): Memo {
  const nameByDefault = options.name === undefined ? defaultName(site, local) : undefined;
  let name = options.name ?? nameByDefault;
  let collidedWith: string | undefined;
  // Without a site there is no place to compare (and nothing to remember per function).
  if (nameByDefault !== undefined && site !== undefined) {
    ({ name, collidedWith } = claimDefaultName(nameByDefault, site, () => fn.toString()));
  }
  const memo = new Memo(fn, options, name, instanceKey);
  if (collidedWith !== undefined) {
    const here = describeSite(site);
    memo.settings.logger.warn(
      memo.name === nameByDefault
        ? `[memoir] the same function is cached at ${collidedWith} and ${here}: both use the cache name "${memo.name}" and share entries.`
        : `[memoir] two different functions at ${collidedWith} and ${here} have one default cache name; the one at ${here} ` +
            `uses "${memo.name}" so they never read each other's results. Give them explicit \`name\`s to keep each cache ` +
            'whatever order they are defined in.',
    );
  }
  const manager = options.manager ?? getCacheManager();
  const registration: ExternalCache = { invalidate: () => memo.invalidateAll() };
  // Only the engine holds it: a weak registration ends when the function is collected.
  memo.registration = registration;
  const weak = options.name === undefined && backendOf(options, currentParams()) === 'memory';
  manager.registerExternalCache(memo.name, registration, { weak });
  for (const parent of options.dependsOn ?? []) manager.registerDependentCache(parent, memo.name);
  return memo;
}
