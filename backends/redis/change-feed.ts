import { ALL_KEYS_MESSAGE } from './keys';
import type { RedisPort, Subscriber } from './port';
import { withTimeout } from '../../lib/util';

/**
 * Wakes waiters when an entry they wait on is written or released. One subscriber connection
 * per Redis deployment and process (not per waiter, not per function), subscribed to the
 * channel of each namespace that has had a waiter; the scripts PUBLISH the key that changed.
 *
 * A wake-up is a hint, never the truth: the waiter re-reads the entry. Everything that can go
 * wrong (no subscriber yet, connection lost, message missed between a read and a subscribe)
 * costs only latency, because every wait also ends after `maxMs` and the engine polls.
 */
const RETRY_AFTER_FAILURE_MS = 1_000;

export class ChangeFeed {
  /** channel → message (escaped key) → wakers of the waiters on it. */
  private readonly waiters = new Map<string, Map<string, Set<() => void>>>();
  private readonly subscribed = new Set<string>();
  private subscriber: Promise<Subscriber> | undefined;
  private retryAt = 0;

  /** `port` is the untimed port: a subscriber that connects after its timeout is closed, not leaked. */
  constructor(
    private readonly port: RedisPort,
    private readonly timeoutMs: number,
  ) {}

  /** Resolves on a change of `message`'s key on `channel`, or after `maxMs`. */
  wait(channel: string, message: string, maxMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let byKey = this.waiters.get(channel);
      if (!byKey) this.waiters.set(channel, (byKey = new Map()));
      let wakers = byKey.get(message);
      if (!wakers) byKey.set(message, (wakers = new Set()));
      const set = wakers;
      const keys = byKey;
      const wake = () => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0) keys.delete(message);
        resolve();
      };
      // Ref'd like any wait for a result: a waiter keeps its process alive, for maxMs at most.
      const timer = setTimeout(wake, maxMs);
      set.add(wake);
      this.listen(channel).catch(() => undefined);
    });
  }

  /** Closes the subscriber connection; the next wait opens a new one. */
  async disconnect(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    this.subscribed.clear();
    const connection = await subscriber?.catch(() => undefined);
    await connection?.close();
  }

  private async listen(channel: string): Promise<void> {
    if (this.subscribed.has(channel) || Date.now() < this.retryAt) return;
    this.subscribed.add(channel);
    try {
      const subscriber = await this.connection();
      await withTimeout(
        subscriber.subscribe(channel, (message) => this.dispatch(channel, message)),
        this.timeoutMs,
        () => `SUBSCRIBE on ${this.port.label}`,
      );
      // A change published before the subscription took effect was missed: wake the waiters
      // of this channel so they read again (a spurious wake-up costs one read).
      this.dispatch(channel, ALL_KEYS_MESSAGE);
    } catch {
      this.subscribed.delete(channel);
      this.retryAt = Date.now() + RETRY_AFTER_FAILURE_MS;
    }
  }

  private connection(): Promise<Subscriber> {
    if (this.subscriber) return this.subscriber;
    const raw = this.port.openSubscriber();
    const opening = withTimeout(
      raw,
      this.timeoutMs,
      () => `opening a subscriber on ${this.port.label}`,
    ).then(
      (subscriber) => {
        subscriber.onLost(() => {
          if (this.subscriber !== opening) return;
          this.subscriber = undefined;
          this.subscribed.clear();
          subscriber.close().catch(() => undefined);
        });
        return subscriber;
      },
      (error) => {
        if (this.subscriber === opening) this.subscriber = undefined;
        raw.then((late) => late.close()).catch(() => undefined);
        throw error;
      },
    );
    this.subscriber = opening;
    return opening;
  }

  private dispatch(channel: string, message: string): void {
    const byKey = this.waiters.get(channel);
    if (!byKey) return;
    const targets = message === ALL_KEYS_MESSAGE ? [...byKey.values()] : [byKey.get(message)];
    for (const wakers of targets) for (const wake of [...(wakers ?? [])]) wake();
  }
}
