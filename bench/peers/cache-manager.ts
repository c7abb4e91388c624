import { keyFunction } from './keys';
import type { AnyAsync, Peer } from './types';

/** cache-manager's `wrap` over its default in-memory Keyv store, as its README starts. */
export async function load(): Promise<Peer> {
  const { createCache } = await import('cache-manager');
  const caches: { disconnect(): Promise<unknown> }[] = [];
  return {
    name: 'cache-manager',
    setup: 'createCache() (in-memory Keyv); wrap(key, () => fn(...args), ttl 1h)',
    async(fn: AnyAsync, shape) {
      const key = keyFunction(shape);
      const cache = createCache();
      caches.push(cache);
      return (...args: unknown[]) => cache.wrap(key(args), () => fn(...args), 3_600_000);
    },
    async close() {
      await Promise.all(caches.map((cache) => cache.disconnect()));
    },
  };
}
