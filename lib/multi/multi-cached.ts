import { callPolicy, configState, currentParams, validateCallOptions } from '../config';
import { type CacheStats, definitionSite } from '../engine';
import { describe, invalidOption, MemoirError } from '../errors';
import { createMemo, type Promisified } from '../memoized';
import type { CachedOptions, CallOptions } from '../options';
import { multiCall, type MultiState, shapeFor } from './batch';
import { assemble, checkKeysFrom, type Id, locateIds, valueFor } from './ids';

type AnyFunction = (...args: any[]) => any;

// Mapped over a type parameter, so that a parameter tuple maps to a tuple (one slot per parameter).
type ArrayIndices<P extends readonly unknown[]> = {
  [I in keyof P]: NonNullable<P[I]> extends readonly unknown[] ? (I extends `${infer N extends number}` ? N : never) : never;
}[number];
type ArrayProperties<T> = { [K in keyof T]-?: NonNullable<T[K]> extends readonly unknown[] ? K : never }[keyof T] & string;
type ArrayPropertiesOf<P extends readonly unknown[]> = {
  [I in keyof P]: NonNullable<P[I]> extends readonly unknown[] ? never : NonNullable<P[I]> extends object ? ArrayProperties<NonNullable<P[I]>> : never;
}[number];

/** The indices of F's parameters that are arrays: where `keysFrom` may point. */
export type IdsIndex<F extends AnyFunction> = ArrayIndices<Parameters<F>>;

/** The array-valued properties of F's options-object parameters: the other thing `keysFrom` may name. */
export type IdsProperty<F extends AnyFunction> = ArrayPropertiesOf<Parameters<F>>;

export interface MultiCachedOptions<F extends AnyFunction> extends CachedOptions {
  /** The index of the argument holding the ids, or the name of the options property holding them. */
  keysFrom: IdsIndex<F> | IdsProperty<F>;
}

/** The management methods of a multiCached function; each works per id of the ids given. */
export interface MultiCachedMethods<F extends AnyFunction> {
  /** Deletes every entry of this function. */
  clearCache(): Promise<void>;
  /** Drops every being-calculated mark of this function. */
  clearBeingCalculated(): Promise<void>;
  /** Stores the result for each id of `args`, taken from `result` (a Map or record by id). */
  precacheValue(args: Parameters<F>, result: Awaited<ReturnType<F>>): Promise<Awaited<ReturnType<F>>>;
  /** Directory of this function's entries on the file backend; undefined otherwise. */
  cachePath(): string | undefined;
  /** The same function with per-call options applied. */
  with(options: CallOptions): MultiCachedCall<F>;
  /** Deletes the entries of these ids only. */
  invalidate(...args: Parameters<F>): Promise<void>;
  /** The cached values of these ids (the others are left out), without computing. */
  peek(...args: Parameters<F>): Promise<Awaited<ReturnType<F>>>;
  /** Whether every id has a completed entry. */
  isCached(...args: Parameters<F>): Promise<boolean>;
  /** The key of each id, in the order given. */
  keyFor(...args: Parameters<F>): string[];
  /** Counters since the function was created (per id: one hit or miss per id asked). */
  stats(): CacheStats;
  readonly cacheName: string;
}

/** The function's own signature; a sync function answers with a promise. */
export type MultiCachedCall<F extends AnyFunction> = ReturnType<F> extends PromiseLike<unknown> ? F : Promisified<F>;
export type MultiCached<F extends AnyFunction> = MultiCachedCall<F> & MultiCachedMethods<F>;

/**
 * Memoizes a function from a list of ids to a result per id (a Map or a record): each id is
 * cached under its own key (the other arguments are part of it), only the missing ids reach
 * the function, in one call, and ids another caller is computing (here or in another process)
 * are waited for rather than loaded twice. See batch.ts for the steps.
 */
export function multiCached<F extends AnyFunction>(fn: F, options: MultiCachedOptions<F>): MultiCached<F> {
  if (typeof fn !== 'function') throw new MemoirError('INVALID_ARGUMENT', `multiCached takes the function to memoize first; got ${describe(fn)}.`);
  if (typeof options !== 'object' || options === null) throw invalidOption('options', options, "an options object with keysFrom, e.g. { keysFrom: 0 }");
  const { keysFrom, ...cachedOptions } = options;
  const where = checkKeysFrom(keysFrom);
  const memo = createMemo(fn, { ...cachedOptions, async: true }, fn.name || undefined, definitionSite());
  const state: MultiState = { shape: undefined };
  let settingsVersion = configState.version;

  const policyFor = (callOptions: CallOptions | undefined) => {
    if (settingsVersion !== configState.version) {
      memo.refreshSettings();
      settingsVersion = configState.version;
    }
    return callPolicy(memo.settings, callOptions);
  };

  async function run(self: unknown, args: unknown[], callOptions?: CallOptions): Promise<unknown> {
    const policy = policyFor(callOptions);
    if (!currentParams().cachingEnabled || callOptions?.skipCache) return fn.apply(self, args);
    return multiCall(memo, state, policy, self, locateIds(args, where));
  }

  const keysOf = (args: unknown[]): Array<[Id, string]> => {
    const site = locateIds(args, where);
    return [...new Set(site.ids)].map((id) => [id, memo.keyFor(site.withIds(id))]);
  };

  const call = function (this: unknown, ...args: unknown[]) {
    return run(this, args);
  };
  const methods: MultiCachedMethods<F> = {
    cacheName: memo.name,
    clearCache: () => memo.clearCache(),
    clearBeingCalculated: () => memo.clearBeingCalculated(),
    async precacheValue(args, result): Promise<Awaited<ReturnType<F>>> {
      if (!Array.isArray(args)) throw invalidOption('args', args, 'the arguments as an array, e.g. precacheValue([["a", "b"]], result)');
      const byId = result as Map<unknown, unknown> | Record<string, unknown>;
      if (typeof byId !== 'object' || byId === null) throw invalidOption('result', result, `a Map or a record by id; got ${describe(result)}`);
      const site = locateIds(args, where);
      for (const id of new Set(site.ids)) {
        const { found, value } = valueFor(byId, id);
        if (found) await memo.precache(site.withIds(id), value);
      }
      return result as Awaited<ReturnType<F>>;
    },
    cachePath: () => memo.core().path,
    with(callOptions) {
      validateCallOptions(callOptions);
      return function (this: unknown, ...args: unknown[]) {
        return run(this, args, callOptions);
      } as unknown as MultiCachedCall<F>;
    },
    async invalidate(...args) {
      const site = locateIds(args, where);
      for (const id of new Set(site.ids)) await memo.invalidateKey(site.withIds(id));
    },
    async peek(...args): Promise<Awaited<ReturnType<F>>> {
      const site = locateIds(args, where);
      const values = new Map<Id, unknown>();
      for (const id of new Set(site.ids)) {
        const value = await memo.peek(site.withIds(id));
        if (value !== undefined) values.set(id, value);
      }
      return assemble(await shapeFor(memo, state), site.ids, values) as Awaited<ReturnType<F>>;
    },
    async isCached(...args) {
      const site = locateIds(args, where);
      for (const id of new Set(site.ids)) if (!(await memo.isCached(site.withIds(id)))) return false;
      return true;
    },
    keyFor: (...args) => keysOf(args).map(([, key]) => key),
    stats: () => memo.stats(),
  };
  Object.defineProperties(call, {
    ...Object.getOwnPropertyDescriptors(methods),
    name: { value: fn.name, configurable: true },
    length: { value: fn.length, configurable: true },
  });
  return call as unknown as MultiCached<F>;
}
