import Redis from 'ioredis';
import { createClient } from 'redis';
import { closeConnections, createRedisCore } from '../../../backends/redis';
import type { Core } from '../../../lib/contract';
import { describeCoreContract } from '../../../lib/testing/core-contract';
import { clearNamespaces, REDIS_DB, REDIS_URL } from '../../support/redis-fixtures';

/**
 * The shared core contract on a real standalone Redis, through both client libraries: a URL
 * (memoir's own node-redis client) and a user's ioredis client.
 */
const raw = createClient({ url: REDIS_URL });
raw.on('error', () => undefined);
beforeAll(() => raw.connect());
afterAll(() => raw.destroy());

/** Foreign bytes where the value of `key` lives. */
const corrupt = async (core: Core, key: string) => {
  await raw.set(`{memoir:${core.name}:${key}}:value`, 'not written by memoir');
};

const urlNames = new Set<string>();
describeCoreContract(
  'redis via URL (node-redis)',
  (name, report) => {
    urlNames.add(name);
    return createRedisCore({ name, options: { redis: REDIS_URL }, report });
  },
  {
    serverClock: true,
    corrupt,
    teardown: async () => {
      await clearNamespaces(urlNames, REDIS_URL);
      await closeConnections();
    },
  },
);

const ioredis = new Redis({ host: '127.0.0.1', port: 6379, db: REDIS_DB, lazyConnect: true });
const ioNames = new Set<string>();
describeCoreContract(
  'redis via an ioredis client',
  (name, report) => {
    ioNames.add(name);
    return createRedisCore({ name, options: { redis: ioredis }, report });
  },
  {
    serverClock: true,
    corrupt,
    teardown: async () => {
      await clearNamespaces(ioNames, ioredis);
      await closeConnections();
      ioredis.disconnect();
    },
  },
);
