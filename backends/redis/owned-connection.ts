import { MemoirError } from '../../lib/errors';
import { destroyQuietly, type NodeRedisClient } from './node-redis';
import { isTimeout, withTimeout } from '../../lib/util';

/**
 * A node-redis client memoir opened from a URL. It connects on first use and reconnects on
 * demand, never in the background: node-redis's own reconnection runs on ref'd timers that
 * would keep a process alive while the server is down, and its offline queue would let calls
 * pile up. So the client is built with `reconnectStrategy: false` and `disableOfflineQueue`,
 * its socket is unref'd (an idle connection never keeps the process alive), and:
 *   - a lost connection is reopened by the next command (one attempt at a time, shared by the
 *     commands that arrive meanwhile); a refused connection costs a call about a millisecond,
 *     and the first call after the server is back uses it again;
 *   - a command or connect that timed out marks the server unresponsive (stopped, partitioned:
 *     every attempt would cost the whole timeout): the connection is destroyed and commands
 *     fail at once for a back-off (500 ms doubling to 5 s), after which one command probes.
 */
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 5_000;

export class OwnedConnection {
  private client: NodeRedisClient | undefined;
  private connecting: Promise<NodeRedisClient> | undefined;
  private failures = 0;
  private retryAt = 0;
  private lastError: unknown;
  /** Bumped by close(): a connect that finishes after it is thrown away. */
  private generation = 0;

  constructor(
    readonly label: string,
    private readonly create: () => NodeRedisClient,
    private readonly timeoutMs: number,
  ) {}

  /** The client if it is connected now. */
  current(): NodeRedisClient | undefined {
    return this.client?.isReady ? this.client : undefined;
  }

  /** The connected client, connecting first if needed; rejects at once during a back-off. */
  ready(): Promise<NodeRedisClient> {
    const { client } = this;
    if (client?.isReady) return Promise.resolve(client);
    if (this.connecting) return this.connecting;
    if (Date.now() < this.retryAt) {
      const reason =
        this.lastError instanceof Error ? this.lastError.message : String(this.lastError);
      return Promise.reject(
        new Error(`not connected to ${this.label} (${reason}); retrying shortly`),
      );
    }
    const connecting = this.open().finally(() => {
      if (this.connecting === connecting) this.connecting = undefined;
    });
    this.connecting = connecting;
    return connecting;
  }

  /** A command timed out: drop the connection, and fail fast until the next probe. */
  suspect(): void {
    this.drop(new Error('a command timed out'));
  }

  /** Closes the connection now (commands in flight reject); a later command opens a new one. */
  async close(): Promise<void> {
    this.generation++;
    this.connecting = undefined;
    destroyQuietly(this.client);
    this.client = undefined;
    this.failures = 0;
    this.retryAt = 0;
  }

  private async open(): Promise<NodeRedisClient> {
    const generation = this.generation;
    destroyQuietly(this.client);
    this.client = undefined;
    const client = this.create();
    client.on('error', (error: unknown) => {
      this.lastError = error;
    });
    client.unref();
    try {
      await withTimeout(client.connect(), this.timeoutMs, () => `connecting to ${this.label}`);
    } catch (error) {
      destroyQuietly(client);
      this.lastError = error;
      if (isTimeout(error) || (error as Error)?.name === 'ConnectionTimeoutError') this.backOff();
      throw error;
    }
    if (generation !== this.generation) {
      destroyQuietly(client);
      throw new MemoirError(
        'BACKEND_ERROR',
        `The connection to ${this.label} was closed while it opened.`,
      );
    }
    this.failures = 0;
    this.retryAt = 0;
    this.client = client;
    return client;
  }

  private drop(error: unknown): void {
    this.lastError = error;
    destroyQuietly(this.client);
    this.client = undefined;
    this.backOff();
  }

  private backOff(): void {
    this.failures++;
    this.retryAt =
      Date.now() + Math.min(FIRST_BACKOFF_MS * 2 ** (this.failures - 1), MAX_BACKOFF_MS);
  }
}
