import { type Collection, MongoClient } from 'mongodb';
import { MongoCache } from '../../lib/caches/classes';
import { describeCacheContract } from '../../lib/testing/cache-contract';
import { spawnStandin, type Standin, startStandin } from '../support/mongo-standin';

/**
 * The contract on the mongo stand-in, and on a real server as well when MONGODB_URI is set.
 * One client and one collection per server; every test of the suite uses its own namespace.
 */
function describeOn(label: string, uri: () => Promise<{ uri: string; stop?: () => Promise<void> }>) {
  let client: MongoClient;
  let collection: Collection;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const server = await uri();
    stop = server.stop;
    client = new MongoClient(server.uri, { serverSelectionTimeoutMS: 3_000 });
    await client.connect();
    collection = client.db('memoir_test').collection(`kv_${process.pid}_${Date.now().toString(36)}`);
  });

  describeCacheContract(label, (options) => new MongoCache({ ...options, mongetter: () => collection }), {
    fakeTime: true,
    raw: async (cache) => {
      await cache.set('n', 7); // integers are stored raw: other clients read a plain number
      const docs = (await cache.raw('find', { ns: cache.namespace })) as Array<{ v: unknown }>;
      expect(docs.map((doc) => doc.v)).toEqual([7]);
      expect(await cache.raw('countDocuments', { ns: cache.namespace })).toBe(1);
      await expect(cache.raw('noSuchMethod')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    },
    teardown: async () => {
      await collection.drop().catch(() => undefined);
      await client.close();
      await stop?.();
    },
  });
}

let standin: Standin;
describeOn('mongo (stand-in)', async () => {
  standin = await startStandin();
  return { uri: standin.uri, stop: () => standin.stop() };
});

if (process.env.MONGODB_URI) describeOn('mongo (real server)', async () => ({ uri: process.env.MONGODB_URI! }));

describe('mongo cache against a server that stops answering', () => {
  it('a command past its timeout rejects with TIMEOUT; the cache works again once the server does', async () => {
    const server = await spawnStandin();
    const cache = new MongoCache({
      namespace: 'stalled',
      timeout: 300,
      mongetter: { uri: server.uri, db: 'memoir_test', collection: 'kv_stalled' },
    });
    try {
      await cache.set('k', 'v');
      process.kill(server.pid, 'SIGSTOP');
      const started = Date.now();
      await expect(cache.get('k')).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(2_000);
      await expect(cache.set('k', 'other', { timeout: 100 })).rejects.toMatchObject({ code: 'TIMEOUT' });
      process.kill(server.pid, 'SIGCONT');
      expect(await cache.get('k', { timeout: 5_000 })).toBeDefined();
    } finally {
      process.kill(server.pid, 'SIGCONT');
      await cache.close();
      await server.stop();
    }
  });
});
