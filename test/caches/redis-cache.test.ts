import IORedis, { type Cluster } from 'ioredis';
import { createClient, type createCluster } from 'redis';
import { closeConnections } from '../../backends/redis';
import { slotOf } from '../../backends/redis/slot';
import { CacheManager, cached } from '../../lib';
import { RedisCache } from '../../lib/caches';
import type { CacheOptions, KeyValueCache } from '../../lib/contract';
import { describeCacheContract } from '../../lib/testing/cache-contract';
import { structureClassesOn } from '../../lib/testing/helpers';
import { type ClusterClients, startClusterWithClients } from '../support/redis-cluster';
import { REDIS_URL } from '../support/redis-fixtures';
import { RedisServer } from '../support/redis-server';

/**
 * RedisCache: the shared contract on the machine's Redis through node-redis (from a URL and as
 * the user's client) and ioredis (with a keyPrefix), and on a real 3-master cluster (ports
 * 6510-6512) through both cluster clients; then what only Redis can show: values other
 * clients read as they are, MGET round trips counted by the server, clear by SCAN + UNLINK of
 * the namespace only, a server that stops answering, A-B-A writes by another client.
 */
jest.setTimeout(60_000);

const CLUSTER_PORTS = [6510, 6511, 6512];
const PRIVATE_PORT = 6520;
let userClient: ReturnType<typeof createClient>;
let ioredis: IORedis;
let cluster: ClusterClients;
let nodeRedisCluster: ReturnType<typeof createCluster>;
let ioredisCluster: Cluster;

beforeAll(async () => {
  userClient = createClient({ url: REDIS_URL });
  userClient.on('error', () => undefined);
  await userClient.connect();
  ioredis = new IORedis(REDIS_URL, { keyPrefix: 'app1:' });
  cluster = await startClusterWithClients(CLUSTER_PORTS);
  ({ nodeRedis: nodeRedisCluster, ioredis: ioredisCluster } = cluster);
}, 90_000);

afterAll(async () => {
  await closeConnections();
  userClient?.destroy();
  ioredis?.disconnect();
  await cluster?.stop();
});

const raw = async (cache: KeyValueCache) => {
  await cache.increment('n', 5);
  const stored = (await cache.raw('GET', `${cache.namespace}:n`)) as Buffer;
  expect(String(stored)).toBe('5');
  expect(await cache.raw('INCRBY', `${cache.namespace}:n`, 2)).toBe(7);
  expect(await cache.get('n')).toBe(7);
};

const setups: Array<[string, () => unknown]> = [
  ['node-redis from a URL', () => REDIS_URL],
  ['the user’s node-redis client', () => userClient],
  ['an ioredis client with a keyPrefix', () => ioredis],
  ['a node-redis cluster', () => nodeRedisCluster],
  ['an ioredis Cluster', () => ioredisCluster],
];

for (const [label, redis] of setups) {
  describeCacheContract(`redis via ${label}`, (options: CacheOptions) => new RedisCache({ ...options, redis: redis() as object }), {
    textual: true,
    realTtlMs: 150,
    raw,
  });
}

describe('redis cache: what other clients see', () => {
  let other: IORedis;
  beforeAll(() => {
    other = new IORedis(REDIS_URL);
  });
  afterAll(() => other.disconnect());
  const fresh = (options: Partial<CacheOptions> = {}) =>
    new RedisCache({ redis: REDIS_URL, namespace: `redis-kv-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`, ...options });

  it("'json' stores plain JSON under namespace:key, and integers as digits INCRBY works on", async () => {
    const cache = fresh({ serializer: 'json' });
    await cache.set('user', { name: 'ada', roles: ['admin'] });
    await cache.set('visits', 41);
    expect(await other.get(`${cache.namespace}:user`)).toBe('{"name":"ada","roles":["admin"]}');
    expect(await other.incrby(`${cache.namespace}:visits`, 1)).toBe(42);
    expect(await cache.get('visits')).toBe(42);
    await other.set(`${cache.namespace}:written-elsewhere`, '{"from":"python"}');
    expect(await cache.get('written-elsewhere')).toEqual({ from: 'python' });
    await cache.clear();
    await cache.close();
  });

  it('ttls are Redis expiries (PX), so other clients see them', async () => {
    const cache = fresh();
    await cache.set('k', 'v', { ttl: '10s' });
    const pttl = await other.pttl(`${cache.namespace}:k`);
    expect(pttl).toBeGreaterThan(9_000);
    expect(pttl).toBeLessThanOrEqual(10_000);
    expect(await cache.expire('k', 0)).toBe(true);
    expect(await other.pttl(`${cache.namespace}:k`)).toBe(-1);
    await cache.clear();
    await cache.close();
  });

  it('an A-B-A write by another client still makes cas conflict (WATCH sees any write)', async () => {
    const cache = fresh({ serializer: 'string' });
    await cache.set('doc', 'A');
    const read = await cache.optimisticLock('doc');
    await other.set(`${cache.namespace}:doc`, 'B');
    await other.set(`${cache.namespace}:doc`, 'A');
    await expect(read.cas('C')).rejects.toMatchObject({ code: 'LOCK_CONFLICT' });
    expect(await cache.get('doc')).toBe('A');
    await cache.clear();
    await cache.close();
  });

  it('clear without a namespace is refused rather than touching the whole database', async () => {
    const cache = new RedisCache({ redis: REDIS_URL });
    await expect(cache.clear()).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await cache.close();
  });

  it("a namespace holding ':' or '%' is stored percent-encoded, so it never meets another, its locks included", async () => {
    const base = fresh().namespace;
    const nested = new RedisCache({ redis: REDIS_URL, namespace: `${base}:50%` });
    const parent = new RedisCache({ redis: REDIS_URL, namespace: base });
    await nested.set('k', 'nested');
    await parent.set('sub', 'parent');
    expect(await other.exists(`${base}%3A50%25:k`, `${base}:sub`)).toBe(2);
    expect(await other.exists(`${base}:50%:k`)).toBe(0);
    const held = await nested.lock('k');
    expect(await other.exists(`memoir:kv-lock:lock:${base}%3A50%25:k`)).toBe(1);
    await held.release();
    await parent.clear();
    expect(await nested.get('k')).toBe('nested');
    await nested.clear();
    expect(await other.exists(`${base}%3A50%25:k`)).toBe(0);
    await nested.close();
    await parent.close();
  });

  it('a structure of a namespace with a colon is a key of that namespace, and a memoized function’s entries survive a lookalike cache’s clear', async () => {
    const base = fresh().namespace;
    const nested = new RedisCache({ redis: REDIS_URL, namespace: `${base}:x`, serializer: 'json' });
    const parent = new RedisCache({ redis: REDIS_URL, namespace: base, serializer: 'json' });
    const { Value } = structureClassesOn(nested);
    await new Value('hits').increment(3);
    expect(await nested.get('hits')).toBe(3);
    expect(await parent.get('x:hits')).toBeUndefined();
    await parent.clear();
    expect(await new Value('hits').get()).toBe(3);

    // A function memoized in `parent` keeps its entries in the namespace `<base>#memo:<n>:<name>`;
    // a cache on the namespace `<base>#memo` is another namespace, and its clear leaves them.
    const name = `square-${base}`;
    let runs = 0;
    const square = cached(
      async (n: number) => {
        runs++;
        return n * n;
      },
      { name, backend: parent, manager: new CacheManager() },
    );
    expect(await square(4)).toBe(16);
    const lookalike = new RedisCache({ redis: REDIS_URL, namespace: `${base}#memo` });
    await lookalike.clear();
    expect(await square.isCached(4)).toBe(true);
    expect(await square(4)).toBe(16);
    expect(runs).toBe(1);
    await square.clearCache();
    for (const cache of [nested, parent, lookalike]) {
      await cache.clear();
      await cache.close();
    }
  });

  it('increment refuses a sum beyond the safe range from an integer another client wrote, and a ValueCache sum beyond it, changing nothing', async () => {
    const cache = fresh();
    const big = '9007199254740997';
    await other.set(`${cache.namespace}:big`, big);
    await expect(cache.increment('big', 1)).rejects.toMatchObject({ code: 'NOT_A_NUMBER' });
    expect(await other.get(`${cache.namespace}:big`)).toBe(big);

    const { Value } = structureClassesOn(cache);
    const counter = new Value('counter');
    await counter.set(Number.MAX_SAFE_INTEGER);
    await expect(counter.increment()).rejects.toMatchObject({ code: 'NOT_A_NUMBER' });
    expect(await counter.get()).toBe(Number.MAX_SAFE_INTEGER);
    // With a ttl the increment also moves the expiry: refused, it moves nothing.
    const { Value: Expiring } = structureClassesOn(cache, '1h');
    const low = new Expiring('low');
    await low.set(-Number.MAX_SAFE_INTEGER);
    await other.pexpire(`${cache.namespace}:low`, 60_000);
    await expect(low.increment(-1)).rejects.toMatchObject({ code: 'NOT_A_NUMBER' });
    expect(await low.get()).toBe(-Number.MAX_SAFE_INTEGER);
    expect(await other.pttl(`${cache.namespace}:low`)).toBeLessThanOrEqual(60_000);
    expect(await low.increment(1)).toBe(-Number.MAX_SAFE_INTEGER + 1);
    expect(await other.pttl(`${cache.namespace}:low`)).toBeGreaterThan(60_000);
    await cache.clear();
    await cache.close();
  });
});

describe('redis cache on a server of its own', () => {
  let server: RedisServer;
  let probe: IORedis;

  beforeAll(async () => {
    server = await RedisServer.start(PRIVATE_PORT);
    probe = new IORedis(server.url);
  });

  afterAll(async () => {
    probe?.disconnect();
    await server?.stop();
  });

  /** calls of each command since the last CONFIG RESETSTAT, from INFO commandstats. */
  async function commandCalls(): Promise<Record<string, number>> {
    const info = await probe.info('commandstats');
    const calls: Record<string, number> = {};
    for (const match of info.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) calls[match[1]!] = Number(match[2]);
    return calls;
  }

  it('multiGet of 100 keys is one MGET; get is one GET', async () => {
    const cache = new RedisCache({ redis: server.url, namespace: 'mget' });
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    await cache.multiSet(keys.map((key, i) => [key, i]));
    await probe.config('RESETSTAT');
    const values = await cache.multiGet(keys);
    expect(values).toEqual(keys.map((_, i) => i));
    await cache.get('k1');
    const calls = await commandCalls();
    expect(calls.mget).toBe(1);
    expect(calls.get).toBe(1);
    await cache.close();
  });

  it('clear SCANs and UNLINKs its namespace only (no KEYS, no FLUSHDB); foreign and lookalike keys survive', async () => {
    const cache = new RedisCache({ redis: server.url, namespace: 'app' });
    await cache.multiSet(Array.from({ length: 2_500 }, (_, i) => [`k${i}`, i]));
    await probe.set('app2:k1', 'lookalike');
    await probe.set('other:k1', 'foreign');
    await probe.set('app', 'the bare name');
    await probe.config('RESETSTAT');
    expect(await cache.clear()).toBe(true);
    const calls = await commandCalls();
    expect(calls.scan).toBeGreaterThan(1);
    expect(calls.unlink).toBeGreaterThan(0);
    expect(calls.keys).toBeUndefined();
    expect(calls.flushdb).toBeUndefined();
    expect(await probe.keys('app:*')).toEqual([]);
    expect((await probe.mget('app2:k1', 'other:k1', 'app')).sort()).toEqual(['foreign', 'lookalike', 'the bare name']);
    await cache.close();
  });

  it('a command against a server that stopped answering rejects with TIMEOUT; it works again once the server does', async () => {
    const cache = new RedisCache({ redis: server.url, namespace: 'stalled', timeout: 300 });
    // Connecting and the first command, given room on a loaded machine: the 300 ms under test
    // are for the commands the stopped server leaves unanswered.
    await cache.set('k', 'v', { timeout: 5_000 });
    server.pause();
    try {
      const started = Date.now();
      await expect(cache.get('k')).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(2_000);
      // Never hangs: past its own timeout, or at once once the silent connection was dropped.
      const again = Date.now();
      const error = await cache.increment('n', 1, { timeout: 100 }).catch((caught: { code?: string }) => caught);
      expect(['TIMEOUT', 'BACKEND_ERROR']).toContain((error as { code?: string }).code);
      expect(Date.now() - again).toBeLessThan(1_000);
    } finally {
      server.resume();
    }
    let value: unknown;
    for (let attempt = 0; attempt < 50 && value === undefined; attempt++) {
      value = await cache.get('k').catch(() => undefined);
      if (value === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(value).toBe('v');
    await cache.close();
  });
});

describe('redis cache on a cluster', () => {
  it('multiGet sends one MGET per slot group', async () => {
    const cache = new RedisCache({ redis: nodeRedisCluster, namespace: 'slots' });
    const keys = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? `{same}${i}` : `k${i}`));
    await cache.multiSet(keys.map((key) => [key, key]));
    for (const port of CLUSTER_PORTS) await cluster.cli(port, 'CONFIG', 'RESETSTAT');
    expect(await cache.multiGet(keys)).toEqual(keys);
    let mgets = 0;
    for (const port of CLUSTER_PORTS) {
      const info = await cluster.cli(port, 'INFO', 'commandstats');
      mgets += Number(/cmdstat_mget:calls=(\d+)/.exec(info)?.[1] ?? 0);
    }
    expect(mgets).toBe(new Set(keys.map((key) => slotOf(`slots:${key}`))).size);
    await cache.clear();
    await cache.close();
  });
});
