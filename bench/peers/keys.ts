/**
 * Keys for the libraries that take a ready-made string key (lru-cache, cache-manager,
 * bentocache, p-memoize's `cacheKey`). Every such peer gets the same, cheapest reasonable
 * key, so none is slowed by a key function the others do not pay for.
 */
import type { Shape } from './types';

/** `7:user` for `(7, 'user')`: what a user writes by hand for two primitives. */
function primitivesKey(args: ArrayLike<unknown>): string {
  return `${args[0]}:${args[1]}`;
}

/**
 * JSON of the one object argument, the usual hand-written choice (and the one memoizee's
 * and p-memoize's docs show). Unlike memoir's key it depends on property order.
 */
function objectKey(args: ArrayLike<unknown>): string {
  return JSON.stringify(args[0]);
}

export function keyFunction(shape: Shape): (args: ArrayLike<unknown>) => string {
  return shape === 'primitives' ? primitivesKey : objectKey;
}
