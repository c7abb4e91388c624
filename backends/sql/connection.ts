import type { Engine } from './source';
import type { Statements } from './statements';
import type { TableName } from './table-name';

/**
 * One database as this process sees it: a pool memoir opened from a URL, or the user's handle.
 * Every core on the same URL (or handle) shares one, and with it the statements prepared per
 * table, the clock offset and, on PostgreSQL, the one listening connection.
 */
export interface SqlConnection {
  readonly engine: Engine;
  /** Where, for messages: a URL without its password, or "your pg handle". */
  readonly location: string;
  /**
   * True when statements run inside this process (SQLite): there is no network wait for a
   * timer to bound, and the driver retries a locked database on its own until the timeout.
   */
  readonly inProcess: boolean;
  /** True once closed; a core then asks the registry for a new one. */
  readonly closed: boolean;
  /**
   * The statements on `table`; the first call creates the table and its index if missing and
   * checks that an existing table has memoir's columns. A failure is retried on the next call.
   */
  statements(table: TableName): Statements | Promise<Statements>;
  /**
   * Database clock minus this process's wall clock, in ms (0 for SQLite: the same clock). A
   * promise only until the first measurement is done: hits then pay no await for it.
   */
  clockOffset(): number | Promise<number>;
  /**
   * PostgreSQL only: resolves when a change of `key` (or of all of `func`'s entries) is
   * notified on `table`'s channel, or after `maxMs`. Polling is the floor.
   */
  waitForChange?(table: TableName, func: string, key: string, maxMs: number): Promise<void>;
  /**
   * Runs one statement of the key-value cache (kv-*.ts), written with `?` placeholders (the
   * engine's own are substituted): the rows it returned, how many rows it changed (matched, for
   * an UPDATE on MariaDB/MySQL) and, on MariaDB/MySQL, the LAST_INSERT_ID it set.
   */
  query(sql: string, values: unknown[]): Promise<QueryResult>;
  /**
   * Closes what memoir opened (pool, listener); never the user's handle. Idempotent, and never
   * rejects: a connection that never opened or whose server is gone is closed all the same.
   */
  close(): Promise<void>;
}

export interface QueryResult {
  rows: Array<Record<string, unknown>>;
  changed: number;
  lastInsertId?: number;
}

/** What every engine's opener is given. */
export interface ConnectionSettings {
  /** Longest wait for one statement, connecting included (the `timeout` option). */
  timeoutMs: number;
}
