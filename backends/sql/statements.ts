/**
 * The dialect: the dozen statements the SQL core is built on, one implementation per engine
 * (postgres.ts, sqlite.ts, mysql.ts). Everything above this interface is engine-agnostic.
 *
 * Times in rows are epoch ms on the DATABASE's clock: `since` and `leaseUntil` are set from
 * the server's own `now` inside the statement that judges them, so two machines whose clocks
 * disagree never take over each other's live marks. The core translates rows into the
 * caller's clock (entries.ts).
 *
 * Every user-supplied value (function name, key, owner, value bytes) travels as a bound
 * parameter; the table name is validated and quoted once (table-name.ts).
 */

/** One row of the entries table. A placeholder (being calculated, no value yet) has value null. */
export interface StoredRow {
  value: Buffer | null;
  /** The function answered with a Promise when the value was computed. */
  promised: boolean;
  /** When the value was stored (placeholders: when the row was created), database clock. */
  storedAt: number;
  owner: string | null;
  since: number | null;
  leaseUntil: number | null;
}

/** A row read together with the database's `now`, which relates its times to the caller's clock. */
export interface Read {
  row: StoredRow | undefined;
  /** The database clock when the statement ran; meaningful only when `row` is set. */
  dbNow: number;
}

export interface Claimed extends Read {
  /** True when the caller now holds the mark (it was absent, dead, or the caller's own). */
  acquired: boolean;
}

/** A row as the CLI shows it. */
export interface CatalogRow extends StoredRow {
  func: string;
  key: string;
  /** Bytes of the stored value (0 for a placeholder). */
  size: number;
  /** A value is stored (`value` itself may be left out, as in `marks()`). */
  completed: boolean;
}

/** One cache (function name) of the table, aggregated by the database. */
export interface FuncSummary {
  func: string;
  entries: number;
  completed: number;
  bytes: number;
  oldest: number | null;
  newest: number | null;
}

/** The statements on one table. Each method is one statement unless its doc says otherwise. */
export interface Statements {
  /** The database clock, epoch ms. */
  now(): Promise<number>;
  get(func: string, key: string): Promise<Read>;
  /**
   * SQLite only: `get` done synchronously in this process, for the engine's hit path. Throws
   * when it cannot answer at once (the database locked by another process).
   */
  readNow?(func: string, key: string): Read;
  /**
   * Marks the key for `owner` unless another owner's lease is live on the database clock:
   * inserts a placeholder, or takes over a missing/dead/own mark keeping any value. The new
   * lease runs `leaseMs` from the database's now. Returns the row as it stands afterwards.
   * PostgreSQL and SQLite: one `INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`;
   * MariaDB: `INSERT IGNORE`, then a guarded `UPDATE` checked by matched rows, then a read.
   */
  acquire(func: string, key: string, owner: string, leaseMs: number): Promise<Claimed>;
  /** Extends the owner's lease to `leaseMs` from the database's now; false if not its mark. */
  renew(func: string, key: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Drops the owner's mark; a placeholder without a value goes with it. */
  release(func: string, key: string, owner: string): Promise<void>;
  /**
   * Stores a completed value. With `owner`: only while that owner's mark is in place, clearing
   * it in the same statement (false: fenced, nothing changed). Without: an upsert that leaves
   * any mark alone (true).
   */
  write(
    func: string,
    key: string,
    value: Buffer,
    storedAt: number,
    owner: string | null,
    promised: boolean,
  ): Promise<boolean>;
  delete(func: string, key: string): Promise<void>;
  /** Deletes at most `limit` rows of `func`; returns how many. */
  deleteBatch(func: string, limit: number): Promise<number>;
  /**
   * Deletes at most `limit` completed rows of `func` stored before `before` (database clock)
   * whose mark, if any, is dead; returns how many.
   */
  deleteStaleBatch(func: string, before: number, limit: number): Promise<number>;
  /** Drops every mark of `func` and its bare placeholders; returns how many marks there were. */
  clearMarks(func: string): Promise<number>;
  keys(func: string): Promise<string[]>;
  /** Per function: entries, completed, bytes, oldest/newest completed entry. For the CLI. */
  summaries(): Promise<FuncSummary[]>;
  /** Rows of `func` (only `key`'s when given), values included. For the CLI. */
  rows(func: string, key?: string): Promise<CatalogRow[]>;
  /** Rows of every function that carry a mark, without values. For the CLI. */
  marks(): Promise<CatalogRow[]>;
}

/** How many rows one batched delete removes: short statements, no long table locks. */
export const DELETE_BATCH = 1000;
