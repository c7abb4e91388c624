import type { Dedicated, RedisPort, Subscriber } from './port';
import { scanPages } from './scan';
import { slotOf } from './slot';

/**
 * The adapter for ioredis: a `Redis` or a `Cluster` the user passes (memoir builds its own
 * connections with node-redis). Recognised by shape, never `instanceof`. Commands go through
 * `callBuffer`/`call`, so nothing is defined on the user's client; ioredis adds its `keyPrefix`
 * to the keys of every command (scripts' KEYS included) but not to SCAN patterns, which this
 * adapter therefore prefixes itself.
 */
type Args = ReadonlyArray<string | Buffer | number>;

export interface IoRedisClient {
  callBuffer(command: string, ...args: Args[number][]): Promise<unknown>;
  call(command: string, ...args: Args[number][]): Promise<unknown>;
  duplicate(overrides?: Record<string, unknown>): IoRedisClient;
  connect(): Promise<void>;
  disconnect(): void;
  subscribe(...channels: string[]): Promise<unknown>;
  on(event: string, listener: (...args: any[]) => void): unknown;
  readonly options?: { keyPrefix?: string; host?: string; port?: number; db?: number };
  readonly stream?: { unref?: () => void };
}

export interface IoRedisCluster {
  /** Node keys ('host:port') by slot, the master first. */
  readonly slots?: ReadonlyArray<ReadonlyArray<string>>;
  callBuffer(command: string, ...args: Args[number][]): Promise<unknown>;
  call(command: string, ...args: Args[number][]): Promise<unknown>;
  nodes(role?: 'master' | 'slave' | 'all'): IoRedisClient[];
  readonly options?: { keyPrefix?: string };
}

const has = (value: object, member: string) =>
  typeof (value as Record<string, unknown>)[member] === 'function';

export function isIoRedisCluster(value: unknown): value is IoRedisCluster {
  return (
    typeof value === 'object' && value !== null && has(value, 'callBuffer') && has(value, 'nodes')
  );
}

export function isIoRedisClient(value: unknown): value is IoRedisClient {
  return (
    typeof value === 'object' &&
    value !== null &&
    has(value, 'callBuffer') &&
    has(value, 'duplicate') &&
    !has(value, 'nodes')
  );
}

type Commander = Pick<IoRedisClient, 'callBuffer' | 'call'>;

function commandsOf(commander: Commander) {
  return {
    mget: (keys: readonly string[]) =>
      commander.callBuffer('MGET', ...keys) as Promise<Array<Buffer | null>>,
    evalsha: (sha: string, keys: readonly string[], args: Args) =>
      commander.callBuffer('EVALSHA', sha, keys.length, ...keys, ...args),
    eval: (source: string, keys: readonly string[], args: Args) =>
      commander.callBuffer('EVAL', source, keys.length, ...keys, ...args),
    unlink: (keys: readonly string[]) => commander.call('UNLINK', ...keys) as Promise<number>,
    publish: (channel: string, message: string) =>
      commander.call('PUBLISH', channel, message) as Promise<number>,
    command: (_firstKey: string | undefined, args: ReadonlyArray<string | Buffer>) =>
      commander.callBuffer(String(args[0]), ...args.slice(1)),
  };
}

export function ioRedisClientPort(client: IoRedisClient): RedisPort {
  const options = client.options ?? {};
  return {
    label: `ioredis ${options.host ?? '?'}:${options.port ?? '?'}/${options.db ?? 0}`,
    cluster: false,
    keyPrefix: options.keyPrefix ?? '',
    ...commandsOf(client),
    scan: (pattern, count) => scanNode(client, pattern, count),
    openSubscriber: () => subscriberFrom(client),
    dedicated: () => dedicatedFrom(client),
    close: async () => {},
  };
}

export function ioRedisClusterPort(cluster: IoRedisCluster): RedisPort {
  return {
    get label() {
      const nodes = cluster
        .nodes('master')
        .map((node) => `${node.options?.host}:${node.options?.port}`);
      return `ioredis cluster (${nodes.join(', ')})`;
    },
    cluster: true,
    keyPrefix: cluster.options?.keyPrefix ?? '',
    ...commandsOf(cluster),
    scan: (pattern, count) => scanMasters(cluster, pattern, count),
    dedicated: (key) => {
      // Slots are computed on the key the server sees: with the cluster's keyPrefix.
      const address = cluster.slots?.[slotOf((cluster.options?.keyPrefix ?? '') + key)]?.[0];
      const node = cluster.nodes('master').find((candidate) => `${candidate.options?.host}:${candidate.options?.port}` === address);
      if (!node) return Promise.reject(new Error(`no master is known for the slot of ${JSON.stringify(key)}`));
      return dedicatedFrom(node);
    },
    // PUBLISH reaches every node of a cluster, so one connection to any master hears it all.
    openSubscriber: () => {
      const [first] = cluster.nodes('master');
      if (!first) return Promise.reject(new Error('the cluster has no master'));
      return subscriberFrom(first);
    },
    close: async () => {},
  };
}

/** SCAN pages of one node (replies as strings: `call`, not `callBuffer`). */
function scanNode(node: Commander, pattern: string, count: number): AsyncIterable<string[]> {
  return scanPages((args) => node.call(args[0], ...args.slice(1)), pattern, count);
}

async function* scanMasters(
  cluster: IoRedisCluster,
  pattern: string,
  count: number,
): AsyncIterable<string[]> {
  for (const node of cluster.nodes('master')) yield* scanNode(node, pattern, count);
}

/** A duplicate of `client` for one transaction at a time (WATCH/MULTI/EXEC), owned by memoir. */
async function dedicatedFrom(client: IoRedisClient): Promise<Dedicated> {
  const connection = client.duplicate({
    lazyConnect: true,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  });
  let markLost!: () => void;
  const lost = new Promise<void>((resolve) => {
    markLost = resolve;
  });
  connection.on('error', () => markLost());
  connection.on('end', () => markLost());
  try {
    await connection.connect();
  } catch (error) {
    connection.disconnect();
    throw error;
  }
  connection.stream?.unref?.();
  return {
    command: (args) => connection.callBuffer(String(args[0]), ...args.slice(1)),
    lost,
    close: async () => {
      connection.disconnect();
      markLost();
    },
  };
}

/**
 * A duplicate of `client` for pub/sub, owned by memoir: it does not reconnect on its own (no
 * background timers; the change feed reopens one on the next wait) and its socket is unref'd,
 * so an idle subscriber never keeps the process alive.
 */
async function subscriberFrom(client: IoRedisClient): Promise<Subscriber> {
  const connection = client.duplicate({
    lazyConnect: true,
    retryStrategy: () => null,
    autoResubscribe: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  });
  const lost = new Set<(error: unknown) => void>();
  const fail = (error: unknown) => {
    for (const listener of lost) listener(error);
    lost.clear();
  };
  const listeners = new Map<string, (message: string) => void>();
  connection.on('error', fail);
  connection.on('end', () => fail(new Error('connection closed')));
  connection.on('message', (channel: string, message: string) => listeners.get(channel)?.(message));
  try {
    await connection.connect();
  } catch (error) {
    connection.disconnect();
    throw error;
  }
  connection.stream?.unref?.();
  return {
    subscribe: async (channel, onMessage) => {
      listeners.set(channel, onMessage);
      await connection.subscribe(channel);
    },
    onLost: (listener) => lost.add(listener),
    close: async () => {
      lost.clear();
      connection.disconnect();
    },
  };
}
