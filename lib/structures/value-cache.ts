import { describe, MemoirError } from '../errors';
import { type ValueCacheClass, type ValueCached, type ValueCachedDecorator, type ValueCachedOptions, valueCached, valueCachedDecorator } from './cached';
import type { KeyParts } from './settings';
import { dataOf, Structure, type StructureOptions } from './structure';

type AnyFunction = (...args: any[]) => any;

/**
 * A cache object that behaves like one value: `get`, `set`, atomic `increment`, `delete`.
 * Stored as the plain key (a Redis STRING), so it is what the cache's `get(key)` reads.
 *
 *   const hits = new ValueCache(['hits', day]);
 *   await hits.increment();          // atomic across processes; the ttl is refreshed with it
 */
export class ValueCache<T = any> extends Structure {
  constructor(key: KeyParts, options?: StructureOptions<T>) {
    super(key, dataOf(options));
  }

  protected async initialize(data: unknown): Promise<void> {
    const { backend, key, ttl } = this.context();
    await backend.valueSet(key, data, ttl);
  }

  /** The value, or undefined when there is none. */
  async get(): Promise<T | undefined> {
    const { backend, key } = await this.operation();
    return (await backend.valueGet(key)) as T | undefined;
  }

  /** Stores the value (refreshing the ttl); resolves true. */
  async set(value: T): Promise<true> {
    const { backend, key, ttl } = await this.operation();
    await backend.valueSet(key, value, ttl);
    return true;
  }

  /**
   * Adds `delta` (an integer, default 1) atomically across processes and resolves the new value;
   * a missing value counts from 0; a value that is not an integer rejects with `NOT_A_NUMBER`.
   */
  async increment(delta = 1): Promise<number> {
    if (!Number.isSafeInteger(delta)) throw new MemoirError('INVALID_ARGUMENT', `Invalid argument "delta": got ${describe(delta)}; expected a safe integer.`);
    const { backend, key, ttl } = await this.operation();
    return backend.valueIncrement(key, delta, ttl);
  }

  /** Deletes the value; whether there was one. */
  async delete(): Promise<boolean> {
    const { backend, key } = await this.operation();
    return backend.delete(key);
  }

  /** Whether a value is stored. */
  async exists(): Promise<boolean> {
    const { backend, key } = await this.operation();
    return backend.exists(key);
  }

  /**
   * Memoizes `fn` into ValueCaches of this class: `key(...args)` gives the key's parts, and each
   * result is stored in `new ThisClass(parts)`, so the class's prefix, ttl, serialize and cache
   * apply. The memoized function is async. `ValueCache.cached({ key })` is the method decorator.
   */
  static cached<F extends AnyFunction>(this: ValueCacheClass, fn: F, options: ValueCachedOptions<F>): ValueCached<F>;
  static cached(this: ValueCacheClass, options: ValueCachedOptions<AnyFunction>): ValueCachedDecorator;
  static cached(this: ValueCacheClass, fnOrOptions: AnyFunction | ValueCachedOptions<AnyFunction>, options?: ValueCachedOptions<AnyFunction>): unknown {
    // `this` is the class it is called on: MyIntCache.cached stores in MyIntCaches.
    // biome-ignore lint/complexity/noThisInStatic: the subclass, not ValueCache itself
    // biome-ignore lint/complexity/noUselessThisAlias: named for the two uses below
    const Class = this;
    if (typeof fnOrOptions === 'function') return valueCached(Class, fnOrOptions, options as ValueCachedOptions<AnyFunction>);
    if (typeof fnOrOptions !== 'object' || fnOrOptions === null) {
      throw new MemoirError(
        'INVALID_ARGUMENT',
        `${Class.name}.cached takes a function to memoize (cached(fn, { key })) or decorator options (@cached({ key })); got ${describe(fnOrOptions)}.`,
      );
    }
    return valueCachedDecorator(Class, fnOrOptions);
  }
}
