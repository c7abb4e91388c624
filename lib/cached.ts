import { methodDecorator } from './decorator';
import { type CachedDecorator, createMemo, type Memoized, memoizedFunction, type Promisified } from './memoized';
import { definitionSite } from './engine';
import type { CachedOptions } from './options';

type AnyFunction = (...args: any[]) => any;

export type { CachedDecorator, Memoized, MemoizedMethods, Promisified } from './memoized';

/**
 * Memoizes a function: `cached(fn, options?)` returns a function with the same signature
 * plus management methods. `cached(options?)` returns a method decorator.
 */
export function cached<F extends AnyFunction>(fn: F, options: CachedOptions & { backend: 'mongo' }): Memoized<Promisified<F>>;
export function cached<F extends AnyFunction>(fn: F, options?: CachedOptions): Memoized<F>;
export function cached(options?: CachedOptions): CachedDecorator;
export function cached(fnOrOptions?: AnyFunction | CachedOptions, maybeOptions?: CachedOptions): unknown {
  if (typeof fnOrOptions === 'function') {
    const options = { ...(maybeOptions ?? {}) };
    return memoizedFunction(createMemo(fnOrOptions, options, fnOrOptions.name || undefined, definitionSite()));
  }
  return methodDecorator({ ...(fnOrOptions ?? {}) });
}

