import { createCache } from 'async-cache-dedupe';
import type { AnyAsync, Peer } from './types';

/**
 * async-cache-dedupe's memory storage. A defined function takes one argument, keyed with
 * safe-stable-stringify (property order does not matter): two primitives travel as the
 * array `[a, b]`, the object as itself. `ttl` must be set, or it only deduplicates.
 */
export async function load(): Promise<Peer> {
  return {
    name: 'async-cache-dedupe',
    setup: "createCache({ ttl: 3600, storage: { type: 'memory' } }).define(name, fn)",
    async(fn: AnyAsync, shape) {
      const cache = createCache({ ttl: 3600, storage: { type: 'memory' } }).define(
        'run',
        async (arg: unknown) => (shape === 'primitives' ? fn(...(arg as unknown[])) : fn(arg)),
      );
      return shape === 'primitives'
        ? (...args: unknown[]) => cache.run(args)
        : (arg: unknown) => cache.run(arg);
    },
  };
}
