import { methodDecorator } from './decorator';
import { type CachedDecorator, createMemo, type Memoized, memoizedFunction, type Promisified } from './memoized';
import { definitionSite } from './engine';
import { describe, MemoirError } from './errors';
import type { CachedOptions } from './options';
import type { KeyValueCache } from './contract';

type AnyFunction = (...args: any[]) => any;

export type { CachedDecorator, Memoized, MemoizedMethods, Promisified } from './memoized';

/**
 * Memoizes a function: `cached(fn, options?)` returns a function with the same signature
 * plus management methods. `cached(options?)` returns a method decorator.
 */
export function cached<F extends AnyFunction>(fn: F, options: CachedOptions & { backend: 'mongo' | 'redis' | 'sql' | KeyValueCache }): Memoized<Promisified<F>>;
/** `async: true` declares the Promise-returning form, whatever the backend. */
export function cached<F extends AnyFunction>(fn: F, options: CachedOptions & { async: true }): Memoized<Promisified<F>>;
/** On 'memory' and 'file' a sync function stays sync; on the other backends and on a cache alias it returns a Promise. */
export function cached<F extends AnyFunction, B extends string>(
  fn: F,
  options: CachedOptions & { backend: B },
): B extends 'memory' | 'file' ? Memoized<F> : Memoized<Promisified<F>>;
export function cached<F extends AnyFunction>(fn: F, options?: CachedOptions): Memoized<F>;
export function cached(options?: CachedOptions): CachedDecorator;
export function cached<F extends AnyFunction>(fn: F, name: string): Memoized<F>;
export function cached(fnOrOptions?: AnyFunction | CachedOptions, maybeOptions?: CachedOptions | string): unknown {
  if (typeof fnOrOptions === 'function') {
    const options = typeof maybeOptions === 'string' ? { name: maybeOptions } : { ...(maybeOptions ?? {}) };
    return memoizedFunction(createMemo(fnOrOptions, options, fnOrOptions.name || undefined, definitionSite()));
  }
  if (fnOrOptions !== undefined && (fnOrOptions === null || typeof fnOrOptions !== 'object')) {
    throw new MemoirError(
      'INVALID_ARGUMENT',
      `cached() takes a function to memoize (cached(fn, options?)) or decorator options (@cached(options?)); got ${describe(fnOrOptions)}.`,
    );
  }
  return methodDecorator({ ...(fnOrOptions ?? {}) });
}

