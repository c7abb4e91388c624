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

  it(`${label}: ttls and lock leases are judged on the server's clock, not on a client clock an hour off`, async () => {
    const namespace = `skew-${process.pid}-${Date.now().toString(36)}`;
    const HOUR = 3_600_000;
    const fair = new MongoCache({ namespace, mongetter: () => collection });
    const ahead = new MongoCache({ namespace, mongetter: () => collection, clock: () => Date.now() + HOUR });
    const behind = new MongoCache({ namespace, mongetter: () => collection, clock: () => Date.now() - HOUR });
    try {
      await fair.set('long', 'live', { ttl: '10m' });
      expect(await ahead.get('long')).toBe('live'); // on its own clock it expired 50 minutes ago
      await ahead.set('short', 'soon gone', { ttl: 300 });
      expect(await fair.get('short')).toBe('soon gone');
      await new Promise((resolve) => setTimeout(resolve, 450));
      expect(await fair.get('short')).toBeUndefined(); // on the writer's clock it lives an hour more
      expect(await behind.exists('short')).toBe(false);

      const held = await fair.lock('job', { lease: '10s' });
      await expect(ahead.lock('job', { wait: 150 })).rejects.toMatchObject({ code: 'TIMEOUT' });
      const short = await behind.lock('other', { lease: 300 });
      await new Promise((resolve) => setTimeout(resolve, 450));
      // The renewal keeps behind's lock, on the server's clock: an hour-ahead client cannot take it.
      await expect(ahead.lock('other', { wait: 100 })).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(await short.release()).toBe(true);
      expect(await held.release()).toBe(true);
      await (await ahead.lock('job', { wait: 1_000 })).release();
    } finally {
      await fair.clear();
      for (const cache of [fair, ahead, behind]) await cache.close();
    }
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
      // The first command connects, creates the index and measures the server's time: several
      // round trips to a process just started (245 ms seen with three copies of this file at once).
      await cache.set('k', 'v', { timeout: 10_000 });
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
