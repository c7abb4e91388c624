import memoize from 'memoizee';
import type { AnyAsync, AnySync, Peer, Shape } from './types';

/**
 * memoizee as its README recommends: `primitive: true` for primitive arguments, a JSON
 * `normalizer` for an object argument (its default compares objects by identity), and
 * `promise: true` for async functions so rejections are not cached.
 */
function options(shape: Shape, promise: boolean): memoize.Options<any> {
  const keying: memoize.Options<any> =
    shape === 'primitives'
      ? { primitive: true }
      : { normalizer: (args: ArrayLike<unknown>) => JSON.stringify(args[0]) };
  return promise ? { ...keying, promise: true } : keying;
}

export async function load(): Promise<Peer> {
  return {
    name: 'memoizee',
    setup: 'primitive: true | normalizer JSON.stringify(args[0]); promise: true for async',
    sync: (fn: AnySync, shape) => memoize(fn, options(shape, false)),
    async: (fn: AnyAsync, shape) => memoize(fn, options(shape, true)),
  };
}
