import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { closeConnections, createRedisCore } from '../../../backends/redis';
import type { Claim, Core } from '../../../lib/contract';
import { describeCoreContract } from '../../../lib/testing/core-contract';
import { RedisCluster } from '../../support/redis-cluster';

/**
 * The shared core contract on a real 3-master Redis Cluster (ports 6410-6412), through a
 * node-redis cluster and an ioredis Cluster, plus what only a cluster can get wrong: scripts
 * whose keys span slots (CROSSSLOT), SCANs that visit one node only, bulk deletes of keys in
 * many slots.
 */
const PORTS = [6410, 6411, 6412];
let cluster: RedisCluster;
let nodeRedis: ReturnType<typeof createCluster>;
let ioredis: Cluster;

beforeAll(async () => {
  cluster = await RedisCluster.start(PORTS);
  nodeRedis = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${PORTS[0]}` }] });
  nodeRedis.on('error', () => undefined);
  await nodeRedis.connect();
  ioredis = new Cluster([{ host: '127.0.0.1', port: PORTS[0]! }]);
  await new Promise<void>((resolve, reject) => {
    ioredis.once('ready', resolve);
    ioredis.once('error', reject);
  });
}, 60_000);

afterAll(async () => {
  await closeConnections();
  nodeRedis?.destroy();
  ioredis?.disconnect();
  await cluster?.stop();
});

const clients: Array<[string, () => object]> = [
  ['a node-redis cluster', () => nodeRedis],
  ['an ioredis Cluster', () => ioredis],
];

for (const [label, client] of clients) {
  describeCoreContract(
    `redis cluster via ${label}`,
    (name, report) => createRedisCore({ name, options: { redis: client() }, report }),
    {
      serverClock: true,
      corrupt: async (core: Core, key: string) => {
        await ioredis.set(`{memoir:${core.name}:${key}}:value`, 'not written by memoir');
      },
    },
  );
}

const claim = (owner: string): Claim => ({
  owner,
  now: Date.now(),
  leaseUntil: Date.now() + 10_000,
});
let counter = 0;

describe.each(clients)('on the cluster, through %s', (_label, client) => {
  it('spreads entries over every master, and clear/keys/deleteStale reach all of them', async () => {
    const core = createRedisCore({
      name: `spread-${counter++}`,
      options: { redis: client() },
      report: () => undefined,
    });
    const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
    await Promise.all(keys.map((key, i) => core.write(key, i, { time: i })));
    await core.acquire('pending', claim('A'));
    await ioredis.set('foreign', 'stays');
    const pattern = `{memoir:${core.name}:*`;
    expect((await cluster.counts(pattern)).every((count) => count > 50)).toBe(true);

    expect((await core.keys()).length).toBe(301);
    expect(await core.deleteStale(100)).toBe(100);
    await core.clearBeingCalculated();
    expect((await core.keys()).length).toBe(200);
    await core.clear();
    expect(await core.keys()).toEqual([]);
    expect(await ioredis.get('foreign')).toBe('stays');
    expect(await cluster.counts(pattern)).toEqual([0, 0, 0]);
    await ioredis.del('foreign');
  });

  it('wakes a waiter on one node when the entry lives on another (PUBLISH reaches every node)', async () => {
    const name = `wake-${counter++}`;
    const waiter = createRedisCore({ name, options: { redis: client() }, report: () => undefined });
    const writer = createRedisCore({ name, options: { redis: client() }, report: () => undefined });
    const woken: number[] = [];
    for (const key of ['a', 'b', 'c', 'd', 'e']) {
      await waiter.waitForChange!(key, 20);
      const started = Date.now();
      const wait = waiter.waitForChange!(key, 5_000);
      await writer.write(key, 1, { time: 1 });
      await wait;
      woken.push(Date.now() - started);
    }
    expect(woken.filter((ms) => ms > 1_000)).toEqual([]);
  });
});

it('honours an ioredis Cluster keyPrefix in SCAN patterns', async () => {
  const prefixed = new Cluster([{ host: '127.0.0.1', port: PORTS[0]! }], { keyPrefix: 'app2:' });
  try {
    const core = createRedisCore({
      name: `prefix-${counter++}`,
      options: { redis: prefixed },
      report: () => undefined,
    });
    await Promise.all(Array.from({ length: 50 }, (_, i) => core.write(`k${i}`, i, { time: 1 })));
    expect((await core.keys()).length).toBe(50);
    expect(await ioredis.exists(`app2:{memoir:${core.name}:k0}:value`)).toBe(1);
    await core.clear();
    expect(await core.keys()).toEqual([]);
  } finally {
    prefixed.disconnect();
  }
});
