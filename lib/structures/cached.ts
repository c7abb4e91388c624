import { currentParams } from '../config';
import type { LockHandle } from '../contract';
import { type CacheStats, emptyStats } from '../engine';
import { describe, invalidOption, MemoirError } from '../errors';
import type { Promisified } from '../memoized';
import { type KeyParts, type StructureClass, settingsOf } from './settings';

type AnyFunction = (...args: any[]) => any;

/**
 * `ValueCache.cached(fn, { key })`: Jaymon's `Cache.cached(key=...)`. The key function turns a
 * call's arguments into key parts, and the result lives in the ValueCache of those parts, so
 * the class's prefix, ttl, serialize and cache apply and anyone can read it as that ValueCache.
 *
 * Like `cached`: concurrent calls of one key in this process share one run, and across
 * processes a miss takes the cache's lock on the key first and re-reads, so one process
 * computes while the others wait for its result. Errors are never stored; `undefined` results
 * are never stored and `null` only with `allowNone`. When the cache fails (BACKEND_ERROR,
 * TIMEOUT), the function still runs and its result is returned, with a warning.
 */
export interface ValueCachedOptions<F extends AnyFunction> {
  /** The key's parts for a call, from its arguments (and its `this` for methods). Required. */
  key: (...args: Parameters<F>) => KeyParts;
  /** Store and return `null` results; otherwise they are recomputed. Default false. */
  allowNone?: boolean;
}

/** Per-call options of `fn.with(options)`. */
export interface ValueCachedCallOptions {
  /** Neither read nor write the cache. */
  skipCache?: boolean;
  /** Compute and store, whatever is stored. */
  overwriteCache?: boolean;
  /** As the option of the same name, for this call. */
  allowNone?: boolean;
}

/** The management methods of API.md section 2 that apply to results stored in ValueCaches. */
export interface ValueCachedMethods<F extends AnyFunction> {
  /** Stores `value` as the result for the arguments `args`. */
  precacheValue(args: Parameters<F>, value: Awaited<ReturnType<F>>): Promise<Awaited<ReturnType<F>>>;
  /** The same function with per-call options applied. */
  with(options: ValueCachedCallOptions): Promisified<F>;
  /** Deletes the result for these arguments. */
  invalidate(...args: Parameters<F>): Promise<void>;
  /** The stored result for these arguments, without computing. */
  peek(...args: Parameters<F>): Promise<Awaited<ReturnType<F>> | undefined>;
  /** Whether a result is stored for these arguments. */
  isCached(...args: Parameters<F>): Promise<boolean>;
  /** The full key (the ValueCache's `key`) these arguments map to. */
  keyFor(...args: Parameters<F>): string;
  /** Lets this process's callers waiting on a calculation go: the next call computes. */
  clearBeingCalculated(): Promise<void>;
  /** Counters since the function was created. */
  stats(): CacheStats;
}

export type ValueCached<F extends AnyFunction> = Promisified<F> & ValueCachedMethods<F>;

/** `@ValueCache.cached({ key })` on an async method, TC39 or legacy decorators alike. */
export interface ValueCachedDecorator {
  <This, F extends (this: This, ...args: any[]) => Promise<any>>(value: F, context: ClassMethodDecoratorContext<This, F>): F;
  <T extends (...args: any[]) => Promise<any>>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<T>): TypedPropertyDescriptor<T>;
}

/** What `cached` needs of a ValueCache class (a structural type, so subclasses fit). */
export interface ValueLike {
  readonly key: string;
  get(): Promise<unknown>;
  set(value: any): Promise<unknown>;
  delete(): Promise<boolean>;
  exists(): Promise<boolean>;
}
export type ValueCacheClass = StructureClass & (new (parts: KeyParts) => ValueLike);

const CALL_OPTIONS = ['skipCache', 'overwriteCache', 'allowNone'];
const LOCK_LEASE_MS = 10_000;

function checkOptions(options: unknown): asserts options is ValueCachedOptions<AnyFunction> {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption('options', options, 'an options object with a key function, e.g. { key: (...args) => args }');
  }
  const { key, allowNone } = options as Partial<ValueCachedOptions<AnyFunction>>;
  if (typeof key !== 'function') throw invalidOption('key', key, 'a function returning the key parts of a call, e.g. (...args) => args');
  if (allowNone !== undefined && typeof allowNone !== 'boolean') throw invalidOption('allowNone', allowNone, 'true or false');
}

function checkCallOptions(options: unknown): ValueCachedCallOptions {
  if (typeof options !== 'object' || options === null) throw invalidOption('options', options, `an object of ${CALL_OPTIONS.join(', ')}`);
  for (const [name, value] of Object.entries(options)) {
    if (!CALL_OPTIONS.includes(name)) throw new MemoirError('INVALID_OPTION', `Unknown option "${name}" for a ValueCache.cached call; accepted: ${CALL_OPTIONS.join(', ')}.`);
    if (value !== undefined && typeof value !== 'boolean') throw invalidOption(name, value, 'true or false');
  }
  return options as ValueCachedCallOptions;
}

const isCacheFailure = (error: unknown) => {
  const code = (error as { code?: unknown })?.code;
  return error instanceof MemoirError && (code === 'BACKEND_ERROR' || code === 'TIMEOUT');
};

class Memo {
  readonly counters = emptyStats();
  /** Calculations in flight in this process, by full key. */
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private failing = false;

  constructor(
    private readonly Class: ValueCacheClass,
    private readonly fn: AnyFunction,
    private readonly options: ValueCachedOptions<AnyFunction>,
  ) {}

  value(self: unknown, args: unknown[]): ValueLike {
    return new this.Class(this.options.key.apply(self, args as never));
  }

  async call(self: unknown, args: unknown[], callOptions: ValueCachedCallOptions = {}): Promise<unknown> {
    if (!currentParams().cachingEnabled || callOptions.skipCache) return this.fn.apply(self, args);
    const value = this.value(self, args);
    const allowNone = callOptions.allowNone ?? this.options.allowNone ?? false;
    if (!callOptions.overwriteCache) {
      const found = await this.guard(() => value.get(), undefined);
      if (this.usable(found, allowNone)) {
        this.counters.hits++;
        return found;
      }
      const running = this.inFlight.get(value.key);
      if (running) {
        this.counters.waits++;
        return running;
      }
    }
    this.counters.misses++;
    const calculation = this.calculate(value, self, args, allowNone, callOptions.overwriteCache === true);
    this.inFlight.set(value.key, calculation);
    const forget = () => {
      if (this.inFlight.get(value.key) === calculation) this.inFlight.delete(value.key);
    };
    calculation.then(forget, forget);
    return calculation;
  }

  /** One calculation of a key: under the cache's lock, so other processes wait for it and read its result. */
  private async calculate(value: ValueLike, self: unknown, args: unknown[], allowNone: boolean, overwrite: boolean): Promise<unknown> {
    const cache = settingsOf(this.Class).cache;
    const held = await this.guard<LockHandle | undefined>(() => cache.lock(`memoir:value-cached:${value.key}`, { lease: LOCK_LEASE_MS }), undefined);
    try {
      if (held && !overwrite) {
        const found = await this.guard(() => value.get(), undefined);
        if (this.usable(found, allowNone)) {
          this.counters.waits++;
          return found;
        }
      }
      this.counters.recalculations++;
      const result = await this.fn.apply(self, args);
      if (this.usable(result, allowNone)) await this.guard(() => value.set(result), undefined);
      return result;
    } finally {
      await held?.release().catch(() => false); // a lost release lapses with its lease
    }
  }

  clearBeingCalculated(): void {
    this.inFlight.clear();
  }

  private usable(result: unknown, allowNone: boolean): boolean {
    return result !== undefined && (result !== null || allowNone);
  }

  /** Cache work; a failure of the cache itself is reported once per incident and answered by `fallback`. */
  private async guard<T>(work: () => Promise<T>, fallback: T): Promise<T> {
    try {
      const result = await work();
      this.failing = false;
      return result;
    } catch (error) {
      if (!isCacheFailure(error)) throw error;
      if (!this.failing) {
        this.failing = true;
        this.counters.backendErrors++;
        process.emitWarning(`ValueCache.cached(${this.fn.name || 'anonymous'}): the cache failed (${(error as Error).message}); calls run uncached until it answers again.`, {
          code: 'MEMOIR_BACKEND',
        });
      }
      return fallback;
    }
  }
}

function attachMethods(call: AnyFunction, memo: Memo, fn: AnyFunction): void {
  const methods: ValueCachedMethods<AnyFunction> = {
    async precacheValue(args, value) {
      if (!Array.isArray(args)) throw invalidOption('args', args, 'the arguments as an array, e.g. precacheValue([2, 3], 5)');
      await memo.value(undefined, args).set(value);
      return value;
    },
    with(options) {
      const callOptions = checkCallOptions(options);
      return function (this: unknown, ...args: unknown[]) {
        return memo.call(this, args, callOptions);
      } as Promisified<AnyFunction>;
    },
    async invalidate(...args) {
      await memo.value(undefined, args).delete();
    },
    peek: (...args) => memo.value(undefined, args).get(),
    isCached: (...args) => memo.value(undefined, args).exists(),
    keyFor: (...args) => memo.value(undefined, args).key,
    async clearBeingCalculated() {
      memo.clearBeingCalculated();
    },
    stats: () => ({ ...memo.counters }),
  };
  Object.assign(call, methods);
  Object.defineProperties(call, {
    name: { value: fn.name, configurable: true },
    length: { value: fn.length, configurable: true },
  });
}

export function valueCached<F extends AnyFunction>(Class: ValueCacheClass, fn: F, options: ValueCachedOptions<F>): ValueCached<F> {
  if (typeof fn !== 'function') throw new MemoirError('INVALID_ARGUMENT', `ValueCache.cached takes the function to memoize first; got ${describe(fn)}.`);
  checkOptions(options);
  const memo = new Memo(Class, fn, options as ValueCachedOptions<AnyFunction>);
  const call = function (this: unknown, ...args: unknown[]) {
    return memo.call(this, args);
  };
  attachMethods(call, memo, fn);
  return call as unknown as ValueCached<F>;
}

export function valueCachedDecorator(Class: ValueCacheClass, options: ValueCachedOptions<AnyFunction>): ValueCachedDecorator {
  checkOptions(options);
  return ((...decoration: unknown[]) => {
    const [target, context, descriptor] = decoration;
    const tc39 = typeof context === 'object' && context !== null && 'kind' in context;
    const method = (tc39 ? target : (descriptor as PropertyDescriptor | undefined)?.value) as unknown;
    if (typeof method !== 'function' || (tc39 && (context as { kind: string }).kind !== 'method')) {
      throw new MemoirError('INVALID_ARGUMENT', '@ValueCache.cached({ key }) decorates methods only.');
    }
    const wrapped = valueCached(Class, method as AnyFunction, options);
    if (tc39) return wrapped;
    return { ...(descriptor as PropertyDescriptor), value: wrapped };
  }) as ValueCachedDecorator;
}
