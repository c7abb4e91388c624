import Redis from 'ioredis';
import { createClient } from 'redis';
import { closeConnections } from '../../backends/redis';
import { cached } from '../../lib';

/**
 * The libraries of the Redis benchmark, each set up on one Redis server the way its docs
 * show, memoizing the same async function of one argument. Every one keys by a string built
 * from the argument, stores in Redis only (no in-process layer: a hit must cross the network,
 * as it does for a value another process computed), with a one-hour TTL where there is one.
 */
export type Body = (id: number) => Promise<unknown>;

export interface RedisSubject {
  name: string;
  setup: string;
  /** Memoizes `body` under `namespace` (distinct per use, so runs never share entries). */
  wrap(body: Body, namespace: string): Body;
  close(): Promise<void>;
}

export type SubjectName = 'memoir' | 'bentocache' | 'cache-manager' | 'async-cache-dedupe';
export const SUBJECT_NAMES: SubjectName[] = [
  'memoir',
  'bentocache',
  'cache-manager',
  'async-cache-dedupe',
];

export async function openSubject(name: SubjectName, url: string): Promise<RedisSubject> {
  const { hostname, port } = new URL(url);
  const connection = { host: hostname, port: Number(port) };
  switch (name) {
    case 'memoir':
      return {
        name,
        setup: "cached(fn, { backend: 'redis', redis: url }) (memoir's own node-redis client)",
        wrap: (body, namespace) => cached(body, { name: namespace, backend: 'redis', redis: url }),
        close: () => closeConnections(),
      };
    case 'bentocache': {
      const { BentoCache, bentostore } = await import('bentocache');
      const { redisDriver } = await import('bentocache/drivers/redis');
      const caches: Array<{ disconnect(): Promise<unknown> }> = [];
      return {
        name,
        setup:
          "bentostore().useL2Layer(redisDriver({ connection })) (ioredis); getOrSet({ key, factory, ttl: '1h' })",
        wrap(body, namespace) {
          const bento = new BentoCache({
            default: 'redis',
            stores: { redis: bentostore().useL2Layer(redisDriver({ connection })) },
          });
          caches.push(bento);
          return (id) =>
            bento.getOrSet({ key: `${namespace}:${id}`, factory: () => body(id), ttl: '1h' });
        },
        close: async () => void (await Promise.all(caches.map((cache) => cache.disconnect()))),
      };
    }
    case 'cache-manager': {
      const { createCache } = await import('cache-manager');
      const { createKeyv } = await import('@keyv/redis');
      const caches: Array<{ disconnect(): Promise<unknown> }> = [];
      return {
        name,
        setup:
          'createCache({ stores: [createKeyv(url)] }) (@keyv/redis, node-redis); wrap(key, fn, 1h)',
        wrap(body, namespace) {
          const cache = createCache({ stores: [createKeyv(url)] });
          caches.push(cache);
          return (id) => cache.wrap(`${namespace}:${id}`, () => body(id), 3_600_000);
        },
        close: async () => void (await Promise.all(caches.map((cache) => cache.disconnect()))),
      };
    }
    case 'async-cache-dedupe': {
      const { createCache } = await import('async-cache-dedupe');
      const clients: Redis[] = [];
      return {
        name,
        setup:
          "createCache({ ttl: 3600, storage: { type: 'redis', options: { client } } }) (ioredis); define(name, fn)",
        wrap(body, namespace) {
          const client = new Redis(connection);
          clients.push(client);
          const cache = createCache({
            ttl: 3600,
            storage: { type: 'redis', options: { client } },
          }).define(namespace, body);
          return (id) => (cache as unknown as Record<string, Body>)[namespace]!(id);
        },
        close: async () => {
          for (const client of clients) client.disconnect();
        },
      };
    }
  }
}

/** A node-redis client for the floor (and memoir given the user's client). */
export async function nodeRedisClient(url: string) {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
