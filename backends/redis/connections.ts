import { invalidOption } from '../../lib/errors';
import { loadPeerDependency } from '../../lib/util';
import { ChangeFeed } from './change-feed';
import {
  ioRedisClientPort,
  ioRedisClusterPort,
  isIoRedisClient,
  isIoRedisCluster,
} from './ioredis';
import {
  isNodeRedisClient,
  isNodeRedisCluster,
  type NodeRedisClient,
  nodeRedisClientPort,
  nodeRedisClusterPort,
} from './node-redis';
import { OwnedConnection } from './owned-connection';
import type { RedisPort } from './port';

/**
 * Turns the `redis` option into a port, and keeps track of every connection memoir opened:
 *   - a URL (`redis://`, `rediss://`) or `{ url, ...clientOptions }`: a node-redis
 *     client memoir creates, shared by every function given the same URL and options, closed
 *     when the last of them closes (or by `closeConnections()`);
 *   - a client the user passes (node-redis client or cluster, ioredis Redis or Cluster): used
 *     as it is and never closed by memoir. Only the pub/sub connection duplicated from it is
 *     memoir's own.
 */
export type RedisOption = string | ({ url: string } & Record<string, unknown>) | object;

export const ACCEPTED =
  "a URL ('redis://host:6379/0', 'rediss://...'), { url, ...clientOptions }, or a client: " +
  'a node-redis client or cluster, or an ioredis Redis or Cluster';

/** A deployment as the cores of one process share it: one port, one change feed. */
export interface Connection {
  /** The untimed port; cores put their own `timeout` on it. */
  readonly port: RedisPort;
  readonly feed: ChangeFeed;
  /** Drops one user of the connection; the last user of a URL connection closes it. */
  release(): Promise<void>;
}

interface Shared {
  connection: Connection;
  users: number;
  /** Closes what memoir opened: the subscriber, and the client when memoir created it. */
  disconnect(): Promise<void>;
}

/** URL connections by URL and options; user clients by identity. */
const byUrl = new Map<string, Shared>();
const byClient = new WeakMap<object, Shared>();
/** Everything memoir opened, for closeConnections(). */
const opened = new Set<Shared>();

export function connect(option: unknown, timeoutMs: number): Connection {
  const shared =
    typeof option === 'string' || hasUrl(option)
      ? sharedUrl(option, timeoutMs)
      : sharedClient(option, timeoutMs);
  shared.users++;
  opened.add(shared);
  let released = false;
  return {
    port: shared.connection.port,
    feed: shared.connection.feed,
    release: async () => {
      if (released) return;
      released = true;
      if (--shared.users > 0) return;
      for (const [key, value] of byUrl) if (value === shared) byUrl.delete(key);
      opened.delete(shared);
      await shared.disconnect();
    },
  };
}

/**
 * Closes every connection memoir opened itself (clients built from URLs, pub/sub connections);
 * clients passed by the user stay open. Functions used afterwards reconnect on demand.
 */
export async function closeConnections(): Promise<void> {
  const all = [...opened];
  await Promise.all(all.map((shared) => shared.disconnect().catch(() => undefined)));
}

function hasUrl(option: unknown): option is { url: string } & Record<string, unknown> {
  return (
    typeof option === 'object' &&
    option !== null &&
    typeof (option as { url?: unknown }).url === 'string'
  );
}

function sharedUrl(
  option: string | ({ url: string } & Record<string, unknown>),
  timeoutMs: number,
): Shared {
  const { url, ...clientOptions } = typeof option === 'string' ? { url: option } : option;
  if (!/^rediss?:\/\//i.test(url)) throw invalidOption('redis', url, ACCEPTED);
  const poolKey = poolKeyOf(url, clientOptions);
  const existing = poolKey === undefined ? undefined : byUrl.get(poolKey);
  if (existing) return existing;
  const label = redact(url);
  const owned = new OwnedConnection(
    label,
    () => createNodeRedisClient(url, clientOptions, timeoutMs),
    timeoutMs,
  );
  const port = nodeRedisClientPort(label, owned, {
    suspect: () => owned.suspect(),
    close: () => owned.close(),
  });
  const feed = new ChangeFeed(port, timeoutMs);
  const shared: Shared = {
    connection: { port, feed, release: async () => {} },
    users: 0,
    disconnect: async () => {
      await feed.disconnect();
      await owned.close();
    },
  };
  if (poolKey !== undefined) byUrl.set(poolKey, shared);
  return shared;
}

function sharedClient(client: unknown, timeoutMs: number): Shared {
  if (typeof client !== 'object' || client === null) throw invalidOption('redis', client, ACCEPTED);
  const existing = byClient.get(client);
  if (existing) return existing;
  const port = portOfClient(client);
  const feed = new ChangeFeed(port, timeoutMs);
  const shared: Shared = {
    connection: { port, feed, release: async () => {} },
    users: 0,
    disconnect: () => feed.disconnect(), // the user's client itself stays open
  };
  byClient.set(client, shared);
  return shared;
}

function portOfClient(client: object): RedisPort {
  if (isNodeRedisCluster(client)) return nodeRedisClusterPort(client);
  if (isNodeRedisClient(client)) {
    const label = redact(client.options?.url ?? 'node-redis client');
    return nodeRedisClientPort(label, { current: () => client, ready: async () => client });
  }
  if (isIoRedisCluster(client)) return ioRedisClusterPort(client);
  if (isIoRedisClient(client)) return ioRedisClientPort(client);
  throw invalidOption('redis', client, ACCEPTED);
}

/** Options that cannot be told apart by JSON (functions, sockets) get a connection of their own. */
function poolKeyOf(url: string, clientOptions: Record<string, unknown>): string | undefined {
  try {
    const text = JSON.stringify([url, clientOptions], (_key, value) => {
      if (typeof value === 'function' || typeof value === 'symbol')
        throw new Error('not comparable');
      return value;
    });
    return text;
  } catch {
    return undefined;
  }
}

function createNodeRedisClient(
  url: string,
  clientOptions: Record<string, unknown>,
  timeoutMs: number,
): NodeRedisClient {
  const { createClient } = loadNodeRedis();
  const socket = (clientOptions.socket ?? {}) as Record<string, unknown>;
  return createClient({
    ...clientOptions,
    url,
    // See OwnedConnection: memoir reconnects on demand and fails fast instead of queueing.
    disableOfflineQueue: true,
    socket: { connectTimeout: timeoutMs, ...socket, reconnectStrategy: false },
  }) as unknown as NodeRedisClient;
}

function loadNodeRedis(): { createClient: (options: Record<string, unknown>) => unknown } {
  // Loaded here, not at the top: lib/ and users of other backends never need `redis`.
  return loadPeerDependency(
    'redis',
    "The 'redis' backend with a URL (or pass an ioredis client as `redis`)",
  );
}

/** A URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_, credentials: string) => {
    const user = credentials.split(':')[0];
    return user ? `//${user}:***@` : '//***@';
  });
}
