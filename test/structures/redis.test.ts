import IORedis, { type Cluster } from 'ioredis';
import { createClient, type createCluster } from 'redis';
import { closeConnections, DictCache, RedisCache, SentinelCache, SetCache, SortedSetCache, ValueCache } from '../../lib';
import { structureClassesOn } from '../../lib/testing/helpers';
import { describeStructureContract } from '../../lib/testing/structure-contract';
import { type ClusterClients, startClusterWithClients } from '../support/redis-cluster';
import { REDIS_URL } from '../support/redis-fixtures';
import { RedisServer } from '../support/redis-server';

/**
 * The data-structure suite on Redis's own types: through node-redis from a URL, ioredis with a
 * keyPrefix, and a real 3-master cluster (ports 7100-7102) through both cluster clients. Then
 * what only Redis shows: the native types and bytes other clients read and change, a RESP3
 * client's reply shapes, one round trip per operation (MONITOR on a server of the test's own,
 * port 7103), the ttl moved in the same script, large structures written in chunks.
 */
jest.setTimeout(60_000);

const CLUSTER_PORTS = [7100, 7101, 7102];
const PRIVATE_PORT = 7103;
let resp3: ReturnType<typeof createClient>;
let ioredis: IORedis;
let cluster: ClusterClients;
let nodeRedisCluster: ReturnType<typeof createCluster>;
let ioredisCluster: Cluster;

beforeAll(async () => {
  resp3 = createClient({ url: REDIS_URL, RESP: 3 });
  resp3.on('error', () => undefined);
  await resp3.connect();
  ioredis = new IORedis(REDIS_URL, { keyPrefix: 'app-structures:' });
  cluster = await startClusterWithClients(CLUSTER_PORTS);
  ({ nodeRedis: nodeRedisCluster, ioredis: ioredisCluster } = cluster);
}, 60_000);

afterAll(async () => {
  await closeConnections();
  resp3?.destroy();
  ioredis?.disconnect();
  await cluster?.stop();
});

const setups: Array<[string, () => unknown]> = [
  ['node-redis from a URL', () => REDIS_URL],
  ['an ioredis client with a keyPrefix', () => ioredis],
  ['a node-redis cluster', () => nodeRedisCluster],
  ['an ioredis Cluster', () => ioredisCluster],
];

for (const [label, redis] of setups) {
  describeStructureContract(`redis via ${label}`, (options) => new RedisCache({ ...options, redis: redis() as object }));
}

let counter = 0;
async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
const namespace = (label: string) => `structures-${label}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

describe('redis structures: what other clients see', () => {
  let other: IORedis;
  let cache: RedisCache;
  beforeAll(() => {
    other = new IORedis(REDIS_URL);
    cache = new RedisCache({ redis: REDIS_URL, namespace: namespace('native'), serializer: 'json' });
  });
  afterAll(async () => {
    await cache.clear();
    await cache.close();
    other.disconnect();
  });

  it('each structure is one key of the matching Redis type, values as the serializer writes them, members as their key text', async () => {
    const { Value, Dict, Members, Ranked, Gate } = structureClassesOn(cache);
    await new Value('hits').increment(3);
    await new Dict('prefs').set('theme', { dark: true });
    await new Members('tags').add('a');
    await new Ranked('queue').add(2.5, 'job');
    await new Gate('gate').claim();
    const key = (name: string) => `${cache.namespace}:${name}`;
    expect(await Promise.all(['hits', 'prefs', 'tags', 'queue', 'gate'].map((name) => other.type(key(name))))).toEqual(['string', 'hash', 'set', 'zset', 'string']);
    expect(await other.get(key('hits'))).toBe('3');
    expect(await other.hgetall(key('prefs'))).toEqual({ '"theme"': '{"dark":true}' });
    expect(await other.smembers(key('tags'))).toEqual(['"a"']);
    expect(await other.zrange(key('queue'), 0, -1, 'WITHSCORES')).toEqual(['"job"', '2.5']);
    // Written by another client in memoir's form, read back by the structures.
    await other.zadd(key('queue'), 1, '"first"');
    expect(await new Ranked('queue').pop()).toEqual([1, 'first']);
  });

  it('serialize = false stores raw text that other clients change with plain commands (HINCRBY, SADD, ZINCRBY)', async () => {
    class Counts extends DictCache {
      static override cache = cache;
      static override serialize = false;
    }
    class Tags extends SetCache {
      static override cache = cache;
      static override serialize = false;
    }
    const counts = new Counts('counts', { data: { views: 1, name: 'page' } });
    await counts.ready();
    expect(await other.hgetall(`${cache.namespace}:counts`)).toEqual({ views: '1', name: 'page' });
    await other.hincrby(`${cache.namespace}:counts`, 'views', 41);
    expect(await counts.get('views')).toBe(42);
    await other.sadd(`${cache.namespace}:tags`, 'from-python');
    expect(await new Tags('tags-raw').add('x')).toBe(true);
    expect(await new Tags('tags').has('from-python')).toBe(true);
  });

  it('a structure op on a key another client filled with something else is WRONG_TYPE', async () => {
    class Dict extends DictCache {
      static override cache = cache;
    }
    await other.set(`${cache.namespace}:plain`, 'text');
    await expect(new Dict('plain').set('a', 1)).rejects.toMatchObject({ code: 'WRONG_TYPE' });
    class Value extends ValueCache {
      static override cache = cache;
    }
    await other.sadd(`${cache.namespace}:a-set`, 'x');
    await expect(new Value('a-set').increment()).rejects.toMatchObject({ code: 'WRONG_TYPE' });
  });

  it("a RESP3 client's replies (maps, nested pairs, doubles) read the same", async () => {
    const onResp3 = new RedisCache({ redis: resp3, namespace: cache.namespace });
    const { Dict, Members, Ranked } = structureClassesOn(onResp3);
    const dict = new Dict('resp3-dict', { data: { a: 1, b: [2] } });
    expect(new Map(await collect(dict))).toEqual(new Map<string, unknown>([['a', 1], ['b', [2]]]));
    const set = new Members('resp3-set', { data: ['x', 2] });
    expect((await collect(set)).sort()).toEqual([2, 'x']);
    const z = new Ranked('resp3-z', { data: [[1.5, 'a'], [-3, 'b']] });
    expect(await z.range(0, -1)).toEqual([[-3, 'b'], [1.5, 'a']]);
    expect(await z.score('a')).toBe(1.5);
    expect(await z.pop()).toEqual([-3, 'b']);
    expect(await z.popMax()).toEqual([1.5, 'a']);
    expect(await z.pop()).toBeUndefined();
    await onResp3.close();
  });

  it('data of 5,000 entries (past what one unpack takes) is written whole, replacing the old contents', async () => {
    class Dict extends DictCache {
      static override cache = cache;
      static override ttl = '1h';
    }
    await new Dict('big').set('stale', 1);
    const data = new Map(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i]));
    const dict = new Dict('big', { data });
    expect(await dict.size()).toBe(5_000);
    expect(await dict.has('stale')).toBe(false);
    expect(await dict.get('k4999')).toBe(4_999);
    expect(await other.pttl(`${cache.namespace}:big`)).toBeGreaterThan(3_500_000);
  });
});

describe('redis structures on a server of their own', () => {
  let server: RedisServer;
  let monitor: IORedis;
  let cache: RedisCache;
  const seen: Array<{ command: string; source: string }> = [];

  beforeAll(async () => {
    server = await RedisServer.start(PRIVATE_PORT);
    cache = new RedisCache({ redis: server.url, namespace: 'rt' });
    await cache.set('warm', 1); // connected before anything is counted
    monitor = await new IORedis(server.url).monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => seen.push({ command: String(args[0]).toUpperCase(), source }));
  });

  afterAll(async () => {
    await cache?.close();
    monitor?.disconnect();
    await server?.stop();
  });

  /** The commands one operation sends: the client's own, and those its script runs. */
  async function commandsOf(operation: () => Promise<unknown>): Promise<{ sent: string[]; scripted: string[] }> {
    await new Promise((resolve) => setTimeout(resolve, 20));
    seen.length = 0;
    await operation();
    await new Promise((resolve) => setTimeout(resolve, 50)); // MONITOR reports asynchronously
    return {
      sent: seen.filter((entry) => !entry.source.startsWith('lua')).map((entry) => entry.command),
      scripted: seen.filter((entry) => entry.source.startsWith('lua')).map((entry) => entry.command),
    };
  }

  it('every operation is one round trip: the plain command, or one script that also moves the ttl', async () => {
    class Plain extends SortedSetCache {
      static override cache = cache;
    }
    class Timed extends SortedSetCache {
      static override cache = cache;
      static override ttl = '1h';
    }
    class Counter extends ValueCache {
      static override cache = cache;
      static override ttl = '1h';
    }
    class Gate extends SentinelCache {
      static override cache = cache;
      static override ttl = '1h';
    }
    await new Plain('warm-up').add(1, 'x'); // loads nothing, but the first EVALSHA may EVAL
    await new Timed('warm-up-2').add(1, 'x');
    await new Timed('warm-up-2').pop();
    await new Counter('warm-up-3').increment();
    expect(await commandsOf(() => new Plain('z').add(1, 'a'))).toEqual({ sent: ['ZADD'], scripted: [] });
    expect(await commandsOf(() => new Plain('z').pop())).toEqual({ sent: ['ZPOPMIN'], scripted: [] });
    expect(await commandsOf(() => new Timed('zt').add(1, 'a'))).toEqual({ sent: ['EVALSHA'], scripted: ['ZADD', 'PEXPIRE'] });
    expect(await commandsOf(() => new Timed('zt').popMax())).toEqual({ sent: ['EVALSHA'], scripted: ['ZPOPMAX', 'PEXPIRE'] });
    expect(await commandsOf(() => new Counter('n').increment(2))).toEqual({ sent: ['EVALSHA'], scripted: ['GET', 'INCRBY', 'PEXPIRE'] });
    expect(await commandsOf(() => new Gate('g').claim())).toEqual({ sent: ['SET'], scripted: [] });
    expect(await commandsOf(() => new Timed('zt').range(0, -1))).toEqual({ sent: ['ZRANGE'], scripted: [] });
  });
});
