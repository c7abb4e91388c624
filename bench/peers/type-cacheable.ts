import { Cacheable, type CacheClient } from '@type-cacheable/core';
import type { AnyAsync, Peer } from './types';

/**
 * The smallest in-memory `CacheClient` its docs describe (the package ships no adapter;
 * the lru-cache and node-cache adapters are separate packages). Values never expire here,
 * which only makes the peer's hits cheaper.
 */
function mapClient(): CacheClient {
  const map = new Map<string, unknown>();
  return {
    get: async (key) => map.get(key),
    set: async (key, value) => void map.set(key, value),
    del: async (keys) => {
      for (const key of Array.isArray(keys) ? keys : [keys]) map.delete(key);
    },
    keys: async (pattern) => [...map.keys()].filter((key) => key.includes(pattern)),
    delHash: async (keys) => {
      for (const key of Array.isArray(keys) ? keys : [keys]) map.delete(key);
    },
    getClientTTL: () => 0,
  };
}

/**
 * `@Cacheable({ client })` on a method with the default key (md5 of the serialized
 * arguments, method name and instance). It is a legacy (experimentalDecorators) decorator
 * and this project compiles TC39 decorators, so it is applied to the prototype by hand,
 * exactly as the legacy decorator runtime would.
 */
export async function load(): Promise<Peer> {
  return {
    name: '@type-cacheable/core',
    setup: '@Cacheable({ client: <Map client> }) on a method, default key',
    async(fn: AnyAsync) {
      class Service {
        run(...args: unknown[]): Promise<unknown> {
          return fn(...args);
        }
      }
      const original = Object.getOwnPropertyDescriptor(Service.prototype, 'run');
      const decorated = Cacheable({ client: mapClient() })(Service.prototype, 'run', original);
      Object.defineProperty(Service.prototype, 'run', decorated);
      const service = new Service();
      return (...args: unknown[]) => service.run(...args);
    },
  };
}
