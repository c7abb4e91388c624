/**
 * Everything memoir asks of a Redis deployment, whichever client talks to it. Two thin
 * adapters implement it (node-redis.ts, ioredis.ts), chosen by the shape of the object the
 * user passes; the core and the CLI only see this interface.
 *
 * Replies carry bulk strings as Buffers (values are binary) and integers as numbers. Keys are
 * given as the client expects them: an ioredis client adds its own `keyPrefix`.
 */
export interface RedisPort {
  /** For messages: `redis://host:port/db` without credentials, or `cluster (host:port, ...)`. */
  readonly label: string;
  /** True for a cluster: multi-key commands must then stay within one slot. */
  readonly cluster: boolean;
  /** The ioredis `keyPrefix` the client adds to every key ('' otherwise); SCAN patterns need it. */
  readonly keyPrefix: string;
  /** Values of keys that share one slot; null for a missing (or non-string) key. */
  mget(keys: readonly string[]): Promise<Array<Buffer | null>>;
  /** EVALSHA routed by the first key; rejects with the server's NOSCRIPT error when not loaded. */
  evalsha(
    sha: string,
    keys: readonly string[],
    args: ReadonlyArray<string | Buffer>,
  ): Promise<unknown>;
  /** EVAL routed by the first key (also loads the script for later EVALSHAs). */
  eval(
    source: string,
    keys: readonly string[],
    args: ReadonlyArray<string | Buffer>,
  ): Promise<unknown>;
  /** PUBLISH (reaches every node of a cluster). */
  publish(channel: string, message: string): Promise<number>;
  /** UNLINK keys that share one slot; resolves how many existed. */
  unlink(keys: readonly string[]): Promise<number>;
  /**
   * Every key matching `pattern` on every master, one SCAN page at a time (COUNT `count`), as
   * the server names them (ioredis prefix included). A key may appear twice (SCAN's guarantee).
   */
  scan(pattern: string, count: number): AsyncIterable<string[]>;
  /** Opens a separate connection for pub/sub, owned (and closed) by memoir. */
  openSubscriber(): Promise<Subscriber>;
  /**
   * Any command (the key-value cache's own, and `raw`), routed by `firstKey` on a cluster (a
   * keyless one goes to any node). Bulk replies come back as Buffers.
   */
  command(firstKey: string | undefined, args: ReadonlyArray<string | Buffer>): Promise<unknown>;
  /**
   * A connection of memoir's own to the node that holds `key`, for WATCH/MULTI/EXEC (a WATCH
   * belongs to its connection, so it cannot share one). Closed by its user; never reconnects.
   */
  dedicated(key: string): Promise<Dedicated>;
  /**
   * A command timed out, so the connection is in an unknown state (a stopped server, a cut
   * network): a connection memoir owns is dropped and reopened on demand; a user's is left alone.
   */
  suspect?(): void;
  /** Closes connections this port opened; never a client the user passed. Idempotent. */
  close(): Promise<void>;
}

/** A pub/sub connection memoir opened itself. */
export interface Subscriber {
  subscribe(channel: string, onMessage: (message: string) => void): Promise<void>;
  /** Called when the connection is lost: the feed forgets it and opens a new one when needed. */
  onLost(listener: (error: unknown) => void): void;
  close(): Promise<void>;
}

/** A connection memoir opened for one transaction at a time (optimistic locks). */
export interface Dedicated {
  command(args: ReadonlyArray<string | Buffer>): Promise<unknown>;
  /** Resolves when the connection is lost (the server went away, or close()). */
  readonly lost: Promise<void>;
  close(): Promise<void>;
}
