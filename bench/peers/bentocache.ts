import { keyFunction } from './keys';
import type { AnyAsync, Peer } from './types';

/**
 * bentocache with one memory (L1) store set up as its docs show, read through `getOrSet`.
 * The memory driver's default `serialize: true` is kept. ESM-only, hence dynamic imports.
 */
export async function load(): Promise<Peer> {
  const { BentoCache, bentostore } = await import('bentocache');
  const { memoryDriver } = await import('bentocache/drivers/memory');
  const caches: { disconnect(): Promise<unknown> }[] = [];
  return {
    name: 'bentocache',
    setup:
      "bentostore().useL1Layer(memoryDriver({ maxSize: '10mb' })); getOrSet({ key, factory, ttl: '1h' })",
    async(fn: AnyAsync, shape) {
      const key = keyFunction(shape);
      const bento = new BentoCache({
        default: 'memory',
        stores: { memory: bentostore().useL1Layer(memoryDriver({ maxSize: '10mb' })) },
      });
      caches.push(bento);
      return (...args: unknown[]) =>
        bento.getOrSet({ key: key(args), factory: () => fn(...args), ttl: '1h' });
    },
    async close() {
      await Promise.all(caches.map((cache) => cache.disconnect()));
    },
  };
}
