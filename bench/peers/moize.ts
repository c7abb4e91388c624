import moize from 'moize';
import type { AnyAsync, AnySync, Peer, Shape } from './types';

/**
 * moize with `isDeepEqual` for the object argument (its default is identity) and
 * `isPromise` for async functions, as its README recommends. Its default `maxSize` of 1 is
 * enough here: each benchmark hits one key.
 */
function options(shape: Shape, isPromise: boolean) {
  return { isDeepEqual: shape === 'object', isPromise };
}

export async function load(): Promise<Peer> {
  return {
    name: 'moize',
    setup: 'isDeepEqual for the object argument; isPromise for async',
    sync: (fn: AnySync, shape) => moize(fn, options(shape, false)),
    async: (fn: AnyAsync, shape) => moize(fn, options(shape, true)) as AnyAsync,
  };
}
