import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Database, Statement } from 'better-sqlite3';
import type { ConnectionSettings, SqlConnection } from './connection';
import { requirePeer } from './faults';
import {
  bytes,
  flag,
  catalogColumns,
  catalogRow,
  funcSummary,
  num,
  storedRow,
  storedRowOf,
  summarySql,
  text,
} from './rows';
import { type Source, sqlitePath } from './source';
import type { Claimed, Read, Statements, StoredRow } from './statements';
import { MEMOIR_COLUMNS, notMemoirsTable, quoted, type TableName } from './table-name';
import { statementsPerTable } from './table-statements';

/**
 * SQLite through `better-sqlite3`: an embedded single-file store shared by the processes of
 * one machine. memoir's own databases run in WAL mode (readers never block the writer) with
 * `synchronous = NORMAL` (a power cut may lose the last writes, never the file), and read
 * through a memory map.
 *
 * The driver is synchronous, and the event loop must not block on another process's lock:
 * the busy timeout is short, and a statement that still finds the database locked is retried
 * asynchronously with backoff until `timeout`. The database clock is this machine's clock.
 */
type BetterSqlite3 = typeof import('better-sqlite3');

/** How much of the database file memoir's own connections map into memory (256 MiB). */
const MMAP_BYTES = 256 * 1024 * 1024;

/** Longest synchronous wait for a lock; beyond it the retry is asynchronous. */
const BUSY_TIMEOUT_MS = 20;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
  );
}

export function openSqlite(source: Source, settings: ConnectionSettings): SqlConnection {
  let db: Database | undefined;
  let closed = false;

  function database(): Database {
    if (source.kind === 'handle') return source.handle as Database;
    if (!db) {
      const Sqlite = requirePeer<BetterSqlite3>(
        'better-sqlite3',
        "The 'sql' backend on SQLite",
        () => require('better-sqlite3'),
      );
      const file = sqlitePath(source.url);
      if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
      const opened = new Sqlite(file, { timeout: BUSY_TIMEOUT_MS });
      try {
        opened.pragma('journal_mode = WAL');
        opened.pragma('synchronous = NORMAL');
        // Reads through a memory map of the file: a probe of a table of millions of rows
        // finds its pages in the OS cache (shared by every process) without a read() each,
        // so a lookup costs about the same at 1M rows as at 1k.
        opened.pragma(`mmap_size = ${MMAP_BYTES}`);
      } catch (error) {
        opened.close();
        throw error;
      }
      db = opened;
    }
    return db;
  }

  /** Runs `work` now, or again after a short sleep while another process holds the lock. */
  function attempt<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (error) {
      if (!isBusy(error)) return Promise.reject(error);
    }
    return retry(work, Date.now() + settings.timeoutMs);
  }

  async function retry<T>(work: () => T, deadline: number): Promise<T> {
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      if (Date.now() + delay > deadline)
        throw new Error(
          `the database stayed locked by another connection for ${settings.timeoutMs} ms`,
        );
      await new Promise((resolve) => setTimeout(resolve, delay));
      try {
        return work();
      } catch (error) {
        if (!isBusy(error)) throw error;
      }
    }
  }

  /** The key-value cache's statements, prepared once each. */
  const statementsByText = new Map<string, Statement>();
  return {
    engine: 'sqlite',
    location: source.label,
    inProcess: true,
    get closed() {
      return closed;
    },
    statements: statementsPerTable((table) =>
      attempt(() => {
        const handle = database();
        createTable(handle, table);
        return sqliteStatements(handle, table, attempt);
      }),
    ),
    // The same machine, the same clock.
    clockOffset: () => 0,
    query(sql, values) {
      return attempt(() => {
        let statement = statementsByText.get(sql);
        if (!statement) statementsByText.set(sql, (statement = database().prepare(sql)));
        if (statement.reader) return { rows: statement.all(...values) as Raw[], changed: 0 };
        return { rows: [], changed: statement.run(...values).changes };
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      db?.close();
    },
  };
}

function createTable(db: Database, table: TableName): void {
  const name = quoted(table, '"');
  const schema = table.parts.length > 1 ? `"${table.parts[0]}".` : '';
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${name} (func TEXT NOT NULL, entry_key TEXT NOT NULL, value BLOB, ` +
      'promised INTEGER NOT NULL DEFAULT 0, ' +
      'stored_at INTEGER NOT NULL, owner TEXT, since INTEGER, lease_until INTEGER, ' +
      'PRIMARY KEY (func, entry_key))',
  );
  try {
    db.prepare(`SELECT ${MEMOIR_COLUMNS} FROM ${name} WHERE 0`).all();
  } catch (error) {
    throw notMemoirsTable(table, error);
  }
  // Stale deletion walks one function's oldest entries without scanning the others.
  db.exec(
    `CREATE INDEX IF NOT EXISTS ${schema}"${table.base}_stale" ON "${table.base}" (func, stored_at)`,
  );
}

type Attempt = <T>(work: () => T) => Promise<T>;
type Raw = Record<string, unknown>;

function sqliteStatements(db: Database, table: TableName, attempt: Attempt): Statements {
  const t = quoted(table, '"');
  const columns = 'value, promised, stored_at, owner, since, lease_until';
  const prepare = (sql: string): Statement => db.prepare(sql);
  const sql = {
    // A hit reads three columns of an unmarked row, positionally, as an array: in-process,
    // every column and every named property costs as much as a fair share of the probe.
    getUnmarked: prepare(
      `SELECT value, promised, stored_at FROM ${t} WHERE func = ? AND entry_key = ? AND owner IS NULL`,
    ).raw(true),
    get: prepare(`SELECT ${columns} FROM ${t} WHERE func = ? AND entry_key = ?`).raw(true),
    acquire: prepare(
      `INSERT INTO ${t} AS e (func, entry_key, value, stored_at, owner, since, lease_until) ` +
        'VALUES (@func, @key, NULL, @now, @owner, @now, @now + @lease) ' +
        'ON CONFLICT (func, entry_key) DO UPDATE ' +
        'SET owner = excluded.owner, since = excluded.since, lease_until = excluded.lease_until ' +
        'WHERE e.owner IS NULL OR e.lease_until IS NULL OR e.lease_until <= excluded.since ' +
        `OR e.owner = excluded.owner RETURNING ${columns}`,
    ),
    renew: prepare(
      `UPDATE ${t} SET lease_until = @now + @lease WHERE func = @func AND entry_key = @key AND owner = @owner`,
    ),
    dropPlaceholder: prepare(
      `DELETE FROM ${t} WHERE func = @func AND entry_key = @key AND owner = @owner AND value IS NULL`,
    ),
    unmark: prepare(
      `UPDATE ${t} SET owner = NULL, since = NULL, lease_until = NULL ` +
        'WHERE func = @func AND entry_key = @key AND owner = @owner AND value IS NOT NULL',
    ),
    // The calculator's write: fenced by its mark, which it clears in the same statement.
    writeOwned: prepare(
      `UPDATE ${t} SET value = @value, stored_at = @storedAt, promised = @promised, owner = NULL, ` +
        'since = NULL, lease_until = NULL ' +
        'WHERE func = @func AND entry_key = @key AND owner = @owner',
    ),
    // Precaching: stores whatever the row holds, leaving a calculator's mark in place.
    writeUnowned: prepare(
      `INSERT INTO ${t} (func, entry_key, value, stored_at, promised) ` +
        'VALUES (@func, @key, @value, @storedAt, @promised) ' +
        'ON CONFLICT (func, entry_key) DO UPDATE SET value = excluded.value, stored_at = excluded.stored_at, ' +
        'promised = excluded.promised',
    ),
    delete: prepare(`DELETE FROM ${t} WHERE func = @func AND entry_key = @key`),
    deleteBatch: prepare(
      `DELETE FROM ${t} WHERE func = @func AND entry_key IN ` +
        `(SELECT entry_key FROM ${t} WHERE func = @func LIMIT @limit)`,
    ),
    deleteStaleBatch: prepare(
      `DELETE FROM ${t} WHERE func = @func AND entry_key IN ` +
        `(SELECT entry_key FROM ${t} WHERE func = @func AND value IS NOT NULL AND stored_at < @before ` +
        'AND (owner IS NULL OR lease_until IS NULL OR lease_until <= @now) LIMIT @limit)',
    ),
    dropPlaceholders: prepare(`DELETE FROM ${t} WHERE func = @func AND value IS NULL`),
    unmarkAll: prepare(
      `UPDATE ${t} SET owner = NULL, since = NULL, lease_until = NULL WHERE func = @func AND owner IS NOT NULL`,
    ),
    keys: prepare(`SELECT entry_key FROM ${t} WHERE func = @func`),
    summaries: prepare(summarySql(t)),
    rows: prepare(`SELECT ${catalogColumns(true)} FROM ${t} WHERE func = @func ORDER BY entry_key`),
    row: prepare(
      `SELECT ${catalogColumns(true)} FROM ${t} WHERE func = @func AND entry_key = @key`,
    ),
    marks: prepare(
      `SELECT ${catalogColumns(false)} FROM ${t} WHERE owner IS NOT NULL ORDER BY func, entry_key`,
    ),
  };
  const release = db.transaction((params: Raw) => {
    if (sql.dropPlaceholder.run(params).changes === 0) sql.unmark.run(params);
  });
  const clearMarks = db.transaction((params: Raw) => {
    return sql.dropPlaceholders.run(params).changes + sql.unmarkAll.run(params).changes;
  });
  /** One probe for an unmarked row (a hit), else the whole row: both in this process. */
  const read = (func: string, key: string): Read => {
    const unmarked = sql.getUnmarked.get(func, key) as unknown[] | undefined;
    if (unmarked !== undefined) {
      const row: StoredRow = {
        value: bytes(unmarked[0]),
        promised: flag(unmarked[1]),
        storedAt: num(unmarked[2]),
        owner: null,
        since: null,
        leaseUntil: null,
      };
      return { row, dbNow: 0 };
    }
    const raw = sql.get.get(func, key) as unknown[] | undefined;
    if (raw === undefined) return { row: undefined, dbNow: 0 };
    // The database clock is this machine's: read only when a mark needs relating to it.
    return { row: storedRowOf(raw), dbNow: Date.now() };
  };

  return {
    now: async () => Date.now(),
    get: (func, key) => attempt(() => read(func, key)),
    readNow: read,
    acquire: (func, key, owner, lease) =>
      attempt((): Claimed => {
        const now = Date.now();
        const raw = sql.acquire.get({ func, key, owner, now, lease }) as Raw | undefined;
        if (raw) return { acquired: true, row: storedRow(raw), dbNow: now };
        return { acquired: false, ...read(func, key) };
      }),
    renew: (func, key, owner, lease) =>
      attempt(() => sql.renew.run({ func, key, owner, lease, now: Date.now() }).changes > 0),
    release: (func, key, owner) => attempt(() => release.immediate({ func, key, owner })),
    write: (func, key, value, storedAt, owner, promised) =>
      attempt(() => {
        const flag = promised ? 1 : 0;
        if (owner !== null)
          return (
            sql.writeOwned.run({ func, key, value, storedAt, owner, promised: flag }).changes > 0
          );
        sql.writeUnowned.run({ func, key, value, storedAt, promised: flag });
        return true;
      }),
    delete: (func, key) =>
      attempt(() => {
        sql.delete.run({ func, key });
      }),
    deleteBatch: (func, limit) => attempt(() => sql.deleteBatch.run({ func, limit }).changes),
    deleteStaleBatch: (func, before, limit) =>
      attempt(() => sql.deleteStaleBatch.run({ func, before, limit, now: Date.now() }).changes),
    clearMarks: (func) => attempt(() => clearMarks.immediate({ func })),
    keys: (func) =>
      attempt(() => (sql.keys.all({ func }) as Raw[]).map((raw) => text(raw.entry_key))),
    summaries: () => attempt(() => (sql.summaries.all() as Raw[]).map(funcSummary)),
    rows: (func, key) =>
      attempt(() =>
        ((key === undefined ? sql.rows.all({ func }) : sql.row.all({ func, key })) as Raw[]).map(
          catalogRow,
        ),
      ),
    marks: () => attempt(() => (sql.marks.all() as Raw[]).map(catalogRow)),
  };
}
