import moize from 'moize';
import type { AnyAsync, AnySync, Peer, Shape } from './types';

/**
 * moize with `isDeepEqual` for the object argument (its default is identity) and
 * `isPromise` for async functions, as its README recommends. `maxSize` is its default of 1
 * where a case hits one key, and the number of keys where it turns through many.
 */
function options(shape: Shape, isPromise: boolean, entries: number) {
  return { isDeepEqual: shape === 'object', isPromise, maxSize: entries };
}

export async function load(): Promise<Peer> {
  return {
    name: 'moize',
    setup: 'isDeepEqual for the object argument; isPromise for async',
    sync: (fn: AnySync, shape, entries) => moize(fn, options(shape, false, entries)),
    async: (fn: AnyAsync, shape, entries) => moize(fn, options(shape, true, entries)) as AnyAsync,
  };
}
