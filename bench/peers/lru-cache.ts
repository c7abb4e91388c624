import { LRUCache } from 'lru-cache';
import { keyFunction } from './keys';
import type { AnyAsync, Peer } from './types';

/**
 * lru-cache's `fetch` with a `fetchMethod`, its own answer to async memoization (it
 * deduplicates concurrent fetches of a key). The arguments travel in `context`.
 */
export async function load(): Promise<Peer> {
  return {
    name: 'lru-cache',
    setup:
      "new LRUCache({ max: 1000, fetchMethod }).fetch(a + ':' + b | JSON.stringify(arg), { context: args })",
    async(fn: AnyAsync, shape) {
      const key = keyFunction(shape);
      const cache = new LRUCache<string, {}, unknown[]>({
        max: 1000,
        fetchMethod: async (_key, _stale, { context }) => (await fn(...context)) as {},
      });
      return (...args: unknown[]) => cache.fetch(key(args), { context: args });
    },
  };
}
