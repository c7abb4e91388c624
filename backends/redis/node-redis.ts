import type { Dedicated, RedisPort, Subscriber } from './port';
import { scanPages } from './scan';
import { slotOf } from './slot';

/**
 * The adapter for node-redis (`redis` 5 and later): a client (`createClient`) or a cluster
 * (`createCluster`). Recognised by shape, never `instanceof`: a user's client may come from
 * another copy of the package. Only `sendCommand` is used, so nothing is added to the client.
 */
type Args = ReadonlyArray<string | Buffer>;
type CommandOptions = { typeMapping?: Record<number, unknown> };

export interface NodeRedisClient {
  sendCommand(args: Args, options?: CommandOptions): Promise<unknown>;
  connect(): Promise<unknown>;
  duplicate(overrides?: Record<string, unknown>): NodeRedisClient;
  destroy(): void;
  unref(): void;
  on(event: string, listener: (...args: any[]) => void): unknown;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<void>;
  readonly isReady: boolean;
  readonly options?: { url?: string; socket?: Record<string, unknown>; database?: number };
}

interface MasterNode {
  host: string;
  port: number;
}

export interface NodeRedisCluster {
  /** The master of each slot (node-redis 5), for a connection to the node that holds a key. */
  readonly slots?: ReadonlyArray<{ master: MasterNode }>;
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: Args,
    options?: CommandOptions,
  ): Promise<unknown>;
  readonly masters: MasterNode[];
  nodeClient(node: MasterNode): Promise<NodeRedisClient> | NodeRedisClient;
}

/** node-redis throws from destroy() when the client is already closed (e.g. after the server went away). */
export function destroyQuietly(client: NodeRedisClient | undefined): void {
  try {
    client?.destroy();
  } catch {
    // already closed: nothing left to release
  }
}

const has = (value: object, member: string) =>
  typeof (value as Record<string, unknown>)[member] === 'function';

export function isNodeRedisCluster(value: unknown): value is NodeRedisCluster {
  return (
    typeof value === 'object' &&
    value !== null &&
    has(value, 'sendCommand') &&
    has(value, 'nodeClient') &&
    'masters' in value
  );
}

export function isNodeRedisClient(value: unknown): value is NodeRedisClient {
  return (
    typeof value === 'object' &&
    value !== null &&
    has(value, 'sendCommand') &&
    has(value, 'duplicate') &&
    'isReady' in value &&
    !has(value, 'callBuffer') && // ioredis has sendCommand and duplicate too
    !isNodeRedisCluster(value)
  );
}

/** RESP type 36 is a blob string ('$'): values come back as Buffers, not UTF-8 strings. */
const BUFFERS: CommandOptions = { typeMapping: { 36: Buffer } };

const evalArgs = (command: string, first: string, keys: readonly string[], args: Args): Args => [
  command,
  first,
  String(keys.length),
  ...keys,
  ...args,
];

/** Where a port gets its client: the user's own, or memoir's (reconnected on demand by OwnedConnection). */
export interface ClientSource {
  /** The client when it is ready now: the fast path of every command, without a promise hop. */
  current(): NodeRedisClient | undefined;
  /** The client, connecting first when needed. */
  ready(): Promise<NodeRedisClient>;
}

/** A port over one node-redis client. */
export function nodeRedisClientPort(
  label: string,
  source: ClientSource,
  options: { close?: () => Promise<void>; suspect?: () => void } = {},
): RedisPort {
  const client = () => source.ready();
  const send = (args: Args, commandOptions?: CommandOptions): Promise<unknown> => {
    const ready = source.current();
    if (!ready)
      return source.ready().then((connected) => connected.sendCommand(args, commandOptions));
    try {
      return ready.sendCommand(args, commandOptions);
    } catch (error) {
      return Promise.reject(error); // a closed client throws instead of rejecting
    }
  };
  return {
    label,
    cluster: false,
    keyPrefix: '',
    mget: (keys) => send(['MGET', ...keys], BUFFERS) as Promise<Array<Buffer | null>>,
    evalsha: (sha, keys, args) => send(evalArgs('EVALSHA', sha, keys, args), BUFFERS),
    eval: (source, keys, args) => send(evalArgs('EVAL', source, keys, args), BUFFERS),
    publish: (channel, message) => send(['PUBLISH', channel, message]) as Promise<number>,
    unlink: (keys) => send(['UNLINK', ...keys]) as Promise<number>,
    scan: (pattern, count) => scanNode(async () => client(), pattern, count),
    openSubscriber: async () => subscriberFrom(await client()),
    command: (_firstKey, args) => send(args, BUFFERS),
    dedicated: async () => dedicatedFrom(await client()),
    close: options.close ?? (async () => {}),
    suspect: options.suspect,
  };
}

/** A port over a node-redis cluster the user passed (memoir never builds clusters from URLs). */
export function nodeRedisClusterPort(cluster: NodeRedisCluster): RedisPort {
  const send = (keys: readonly string[], args: Args, commandOptions?: CommandOptions) =>
    cluster.sendCommand(keys[0], false, args, commandOptions);
  return {
    get label() {
      return `redis cluster (${cluster.masters.map((m) => `${m.host}:${m.port}`).join(', ')})`;
    },
    cluster: true,
    keyPrefix: '',
    mget: (keys) => send(keys, ['MGET', ...keys], BUFFERS) as Promise<Array<Buffer | null>>,
    evalsha: (sha, keys, args) => send(keys, evalArgs('EVALSHA', sha, keys, args), BUFFERS),
    eval: (source, keys, args) => send(keys, evalArgs('EVAL', source, keys, args), BUFFERS),
    publish: (channel, message) =>
      cluster.sendCommand(undefined, false, ['PUBLISH', channel, message]) as Promise<number>,
    unlink: (keys) => send(keys, ['UNLINK', ...keys]) as Promise<number>,
    scan: (pattern, count) => scanMasters(cluster, pattern, count),
    command: (firstKey, args) => cluster.sendCommand(firstKey, false, args, BUFFERS),
    dedicated: async (key) => {
      const master = cluster.slots?.[slotOf(key)]?.master;
      if (!master) throw new Error(`no master is known for the slot of ${JSON.stringify(key)}`);
      return dedicatedFrom(await cluster.nodeClient(master));
    },
    // PUBLISH reaches every node of a cluster, so one connection to any master hears it all.
    openSubscriber: async () => {
      const [first] = cluster.masters;
      if (!first) throw new Error('the cluster has no master');
      return subscriberFrom(await cluster.nodeClient(first));
    },
    close: async () => {},
  };
}

function scanNode(
  node: () => Promise<NodeRedisClient>,
  pattern: string,
  count: number,
): AsyncIterable<string[]> {
  return scanPages(async (args) => (await node()).sendCommand(args), pattern, count);
}

async function* scanMasters(
  cluster: NodeRedisCluster,
  pattern: string,
  count: number,
): AsyncIterable<string[]> {
  for (const master of [...cluster.masters]) {
    yield* scanNode(async () => cluster.nodeClient(master), pattern, count);
  }
}

/**
 * A duplicate of `client` for one transaction at a time (WATCH/MULTI/EXEC): memoir's own
 * connection, unref'd, failing fast instead of queueing or reconnecting.
 */
async function dedicatedFrom(client: NodeRedisClient): Promise<Dedicated> {
  const socket = { ...(client.options?.socket ?? {}), reconnectStrategy: false };
  const connection = client.duplicate({ socket, disableOfflineQueue: true, commandOptions: undefined });
  let markLost!: () => void;
  const lost = new Promise<void>((resolve) => {
    markLost = resolve;
  });
  connection.on('error', () => markLost());
  connection.on('end', () => markLost());
  connection.unref();
  try {
    await connection.connect();
  } catch (error) {
    destroyQuietly(connection);
    throw error;
  }
  return {
    command: (args) => connection.sendCommand(args, BUFFERS),
    lost,
    close: async () => {
      destroyQuietly(connection);
      markLost();
    },
  };
}

/**
 * A duplicate of `client` for pub/sub: memoir's own connection, unref'd (an idle subscriber
 * never keeps the process alive) and not reconnecting on its own (no timers in the
 * background): when it is lost, the change feed opens a new one on the next wait.
 */
async function subscriberFrom(client: NodeRedisClient): Promise<Subscriber> {
  const socket = { ...(client.options?.socket ?? {}), reconnectStrategy: false };
  const connection = client.duplicate({
    socket,
    disableOfflineQueue: true,
    commandOptions: undefined,
  });
  const lost = new Set<(error: unknown) => void>();
  const fail = (error: unknown) => {
    for (const listener of lost) listener(error);
    lost.clear();
  };
  connection.on('error', fail);
  connection.on('end', () => fail(new Error('connection closed')));
  connection.unref();
  try {
    await connection.connect();
  } catch (error) {
    destroyQuietly(connection);
    throw error;
  }
  return {
    subscribe: (channel, onMessage) =>
      connection.subscribe(channel, (message) => onMessage(String(message))),
    onLost: (listener) => lost.add(listener),
    close: async () => {
      lost.clear();
      destroyQuietly(connection);
    },
  };
}
