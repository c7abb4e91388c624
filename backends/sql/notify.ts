import { createHash } from 'node:crypto';
import type { TableName } from './table-name';

/**
 * PostgreSQL change notifications: writers `pg_notify` a short topic in the same statement
 * that changes an entry, and one listening connection per process and database wakes the
 * waiters of that topic. Topics are digests, so no user text reaches the channel and every
 * payload has the same small size. Waiters always resolve within their `maxMs`.
 *
 * A wake-up is a hint: the waiter re-reads the entry. A change committed before LISTEN took
 * effect is never notified to us, so a waiter that arrived while its channel's LISTEN was
 * still on its way is woken once LISTEN is confirmed (a spurious wake-up costs one read; a
 * missed one would cost the waiter its whole `maxMs`). A lost listener connection wakes
 * everyone for the same reason.
 */
export interface ListenClient {
  query(text: string): Promise<unknown>;
  on(
    event: 'notification',
    listener: (message: { channel: string; payload?: string }) => void,
  ): unknown;
  on(event: 'error' | 'end', listener: (error?: Error) => void): unknown;
  end(): Promise<void>;
}

const digest = (text: string) => createHash('sha1').update(text).digest('base64url');

/** The channel of a table: `memoir:<table>`, or a digest of it when that is too long. */
export function channelOf(table: TableName): string {
  const channel = `memoir:${table.name}`;
  return Buffer.byteLength(channel) <= 63 ? channel : `memoir:${digest(table.name)}`;
}

/** The topic of one entry. */
export function keyTopic(func: string, key: string): string {
  return digest(`${func}\u0000${key}`);
}

/** The topic of every entry of a function (clear, clearBeingCalculated). */
export function funcTopic(func: string): string {
  return `*${digest(func)}`;
}

/** After a failed connect, waiters poll for this long before the listener tries again. */
const RETRY_AFTER_MS = 1_000;

export class ChangeListener {
  private client: Promise<ListenClient> | undefined;
  /** The connected client behind `client`, once it resolved. */
  private current: ListenClient | undefined;
  private listening = new Map<string, Promise<unknown>>();
  /** Channels whose LISTEN the server confirmed on the current connection. */
  private readonly confirmed = new Set<string>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private failedAt = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(private readonly connect: () => Promise<ListenClient>) {}

  wait(table: TableName, func: string, key: string, maxMs: number): Promise<void> {
    const topics = [keyTopic(func, key), funcTopic(func)];
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        for (const topic of topics) this.waiters.get(topic)?.delete(done);
        for (const topic of topics)
          if (this.waiters.get(topic)?.size === 0) this.waiters.delete(topic);
        resolve();
      };
      for (const topic of topics) {
        let set = this.waiters.get(topic);
        if (!set) this.waiters.set(topic, (set = new Set()));
        set.add(done);
      }
      // Ref'd: whoever awaits a change keeps the process alive until it resolves.
      timer = setTimeout(done, maxMs);
      const channel = channelOf(table);
      if (this.confirmed.has(channel)) return;
      // The change this waiter waits for may have been committed before LISTEN took effect.
      this.listen(channel).then(
        (listening) => listening && done(),
        () => undefined,
      );
    });
  }

  /** Resolves true once LISTEN on `channel` is confirmed; false while no connection may be tried. */
  private async listen(channel: string): Promise<boolean> {
    if (this.closed) return false;
    if (!this.client) {
      if (Date.now() - this.failedAt < RETRY_AFTER_MS) return false;
      this.client = this.open();
    }
    const client = await this.client;
    let listening = this.listening.get(channel);
    if (!listening) {
      listening = client.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
      this.listening.set(channel, listening);
      listening.then(
        () => this.current === client && this.confirmed.add(channel),
        // A LISTEN that failed means a broken connection: the next wait opens a new one.
        () => this.drop(client),
      );
    }
    await listening;
    return this.current === client;
  }

  private async open(): Promise<ListenClient> {
    try {
      const client = await this.connect();
      client.on('notification', ({ payload }) => {
        if (payload) for (const wake of [...(this.waiters.get(payload) ?? [])]) wake();
      });
      const lost = () => this.drop(client);
      client.on('error', lost);
      client.on('end', lost);
      this.current = client;
      if (this.closed) await client.end();
      return client;
    } catch (error) {
      this.failedAt = Date.now();
      this.client = undefined;
      throw error;
    }
  }

  /** The connection died (server restart, pg_terminate_backend): wake everyone to re-read. */
  private drop(client: ListenClient): void {
    if (this.current === client) {
      this.current = undefined;
      this.client = undefined;
      this.listening.clear();
      this.confirmed.clear();
    }
    client.end().catch(() => undefined);
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake();
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    this.current = undefined;
    this.listening.clear();
    this.confirmed.clear();
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake();
    if (client) await (await client.catch(() => undefined))?.end().catch(() => undefined);
  }
}
