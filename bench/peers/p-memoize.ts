import { keyFunction } from './keys';
import type { AnyAsync, Peer } from './types';

/**
 * p-memoize keys on the first argument unless given a `cacheKey`, so both shapes get the
 * shared hand-written key. ESM-only, hence the dynamic import.
 */
export async function load(): Promise<Peer> {
  const { default: pMemoize } = await import('p-memoize');
  return {
    name: 'p-memoize',
    setup: "cacheKey: ([a, b]) => a + ':' + b | JSON.stringify(arg); default Map cache",
    async: (fn: AnyAsync, shape) => pMemoize(fn, { cacheKey: keyFunction(shape) }),
  };
}
