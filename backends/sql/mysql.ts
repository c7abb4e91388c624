import { callbackWithin } from '../../lib/util';
import { offsetTracker } from './clock';
import type { ConnectionSettings, SqlConnection } from './connection';
import { requirePeer } from './faults';
import {
  catalogColumns,
  catalogRow,
  funcSummary,
  num,
  readOf,
  summarySql,
  text,
} from './rows';
import { mysqlExecutor, type Source } from './source';
import { type Claimed, DELETE_BATCH, type Read, type StoredRow, type Statements } from './statements';
import { MEMOIR_COLUMNS, notMemoirsTable, quoted, type TableName } from './table-name';
import { statementsPerTable } from './table-statements';

/** How a statement that timed out is named (the core's BACKEND_ERROR says which operation). */
const theStatement = () => 'the statement';

/**
 * MariaDB and MySQL through `mysql2`, with server-side prepared statements (`execute`).
 * Neither has `INSERT … ON CONFLICT … WHERE … RETURNING`, so acquire is `INSERT IGNORE` (the
 * key is new: one statement), else a guarded `UPDATE` whose matched-row count says whether the
 * mark was taken, then a read of the row. Names and keys are VARBINARY: compared byte for
 * byte, with no collation folding case or trailing spaces into a false match.
 */
type MysqlModule = typeof import('mysql2');
type Raw = Record<string, unknown>;
interface Header {
  affectedRows: number;
  info?: string;
}
interface Executor {
  execute(
    sql: string,
    values: unknown[],
    callback: (error: Error | null, result: unknown) => void,
  ): void;
}

/** The database clock in epoch ms, in UTC whatever the session's time zone (no DST fold). */
const NOW = "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)";

/** Rows an UPDATE matched, also when the client did not ask for found rows. */
function matchedRows(header: Header): number {
  const matched = /Rows matched:\s*(\d+)/.exec(header.info ?? '');
  return matched ? Number(matched[1]) : header.affectedRows;
}

export function openMysql(source: Source, settings: ConnectionSettings): SqlConnection {
  let pool: ReturnType<MysqlModule['createPool']> | undefined;
  let closed = false;

  function executor(): Executor {
    if (source.kind === 'handle') return mysqlExecutor(source.handle as Raw) as unknown as Executor;
    if (!pool) {
      const mysql = requirePeer<MysqlModule>('mysql2', "The 'sql' backend on MariaDB/MySQL", () =>
        require('mysql2'),
      );
      pool = mysql.createPool({
        uri: source.url,
        connectionLimit: 10,
        connectTimeout: settings.timeoutMs,
        enableKeepAlive: true,
      });
      // Idle connections must not keep the process alive; a statement's timer does while it runs.
      pool.on('connection', (connection) => {
        (connection as unknown as { stream?: { unref?: () => void } }).stream?.unref?.();
      });
    }
    return pool as unknown as Executor;
  }

  /**
   * Runs a prepared statement within `timeout` (a stopped server never answers), decoding its
   * result in the driver's callback: one promise per statement. (The statement goes as text:
   * mysql2's options-object form, e.g. for rows as arrays, cost ~10 µs more per execution.)
   */
  const exec: Exec = <T = Raw[]>(sql: string, values: unknown[], decode?: (result: unknown) => T) =>
    callbackWithin<unknown, T>(
      settings.timeoutMs,
      theStatement,
      (done) => executor().execute(sql, values, done),
      decode,
    );

  const offset = offsetTracker(async () =>
    num((await exec(`SELECT ${NOW} AS db_now`, []))[0].db_now),
  );

  return {
    engine: 'mysql',
    location: source.label,
    inProcess: false,
    get closed() {
      return closed;
    },
    statements: statementsPerTable((table) => createTable(exec, table).then(() => mysqlStatements(exec, table))),
    clockOffset: offset,
    async query(sql, values) {
      const result = await exec<Raw[] | (Header & { insertId?: number })>(sql, values);
      if (Array.isArray(result)) return { rows: result, changed: 0 };
      return { rows: [], changed: matchedRows(result), lastInsertId: result.insertId };
    },
    async close() {
      if (closed) return;
      closed = true;
      // The pool is gone either way. A connection that never opened (the server stopped
      // answering) fails its goodbye with the connect error: nothing the caller can act on.
      await pool
        ?.promise()
        .end()
        .catch(() => undefined);
    },
  };
}

type Exec = <T = Raw[]>(
  sql: string,
  values: unknown[],
  decode?: (result: unknown) => T,
) => Promise<T>;

async function createTable(exec: Exec, table: TableName): Promise<void> {
  const name = quoted(table, '`');
  await exec(
    `CREATE TABLE IF NOT EXISTS ${name} (` +
      'func VARBINARY(512) NOT NULL, entry_key VARBINARY(2048) NOT NULL, value LONGBLOB NULL, ' +
      'promised BOOLEAN NOT NULL DEFAULT 0, ' +
      'stored_at BIGINT NOT NULL, owner VARBINARY(1024) NULL, since BIGINT NULL, lease_until BIGINT NULL, ' +
      // Stale deletion walks one function's oldest entries without scanning the others.
      `PRIMARY KEY (func, entry_key), KEY \`${table.base}_stale\` (func, stored_at)) ENGINE=InnoDB`,
    [],
  );
  try {
    await exec(`SELECT ${MEMOIR_COLUMNS} FROM ${name} WHERE 1 = 0`, []);
  } catch (error) {
    throw notMemoirsTable(table, error);
  }
}

function mysqlStatements(exec: Exec, table: TableName): Statements {
  const t = quoted(table, '`');
  const sql = {
    // Two columns (rows.ts readOf). The database's now relates a mark's times to the
    // caller's clock, so it comes only with a mark.
    get:
      'SELECT value, CASE WHEN owner IS NULL THEN stored_at * 2 + promised ' +
      `ELSE CONCAT_WS(' ', stored_at * 2 + promised, ${NOW}, IFNULL(since, ''), IFNULL(lease_until, ''), owner) END AS meta ` +
      `FROM ${t} WHERE func = ? AND entry_key = ?`,
    insertMark:
      `INSERT IGNORE INTO ${t} (func, entry_key, value, stored_at, owner, since, lease_until) ` +
      `VALUES (?, ?, NULL, ${NOW}, ?, ${NOW}, ${NOW} + ?)`,
    takeMark:
      `UPDATE ${t} SET owner = ?, since = ${NOW}, lease_until = ${NOW} + ? WHERE func = ? AND entry_key = ? ` +
      `AND (owner IS NULL OR lease_until IS NULL OR lease_until <= ${NOW} OR owner = ?)`,
    renew: `UPDATE ${t} SET lease_until = ${NOW} + ? WHERE func = ? AND entry_key = ? AND owner = ?`,
    dropPlaceholder: `DELETE FROM ${t} WHERE func = ? AND entry_key = ? AND owner = ? AND value IS NULL`,
    unmark:
      `UPDATE ${t} SET owner = NULL, since = NULL, lease_until = NULL ` +
      'WHERE func = ? AND entry_key = ? AND owner = ? AND value IS NOT NULL',
    // The calculator's write: fenced by its mark, which it clears in the same statement.
    writeOwned:
      `UPDATE ${t} SET value = ?, stored_at = ?, promised = ?, owner = NULL, since = NULL, lease_until = NULL ` +
      'WHERE func = ? AND entry_key = ? AND owner = ?',
    // Precaching: stores whatever the row holds, leaving a calculator's mark in place.
    writeUnowned:
      `INSERT INTO ${t} (func, entry_key, value, stored_at, promised) VALUES (?, ?, ?, ?, ?) ` +
      'ON DUPLICATE KEY UPDATE value = VALUES(value), stored_at = VALUES(stored_at), promised = VALUES(promised)',
    delete: `DELETE FROM ${t} WHERE func = ? AND entry_key = ?`,
    deleteBatch: `DELETE FROM ${t} WHERE func = ? LIMIT ${DELETE_BATCH}`,
    deleteStaleBatch:
      `DELETE FROM ${t} WHERE func = ? AND value IS NOT NULL AND stored_at < ? ` +
      `AND (owner IS NULL OR lease_until IS NULL OR lease_until <= ${NOW}) LIMIT ${DELETE_BATCH}`,
    dropPlaceholders: `DELETE FROM ${t} WHERE func = ? AND value IS NULL`,
    unmarkAll: `UPDATE ${t} SET owner = NULL, since = NULL, lease_until = NULL WHERE func = ? AND owner IS NOT NULL`,
    keys: `SELECT entry_key FROM ${t} WHERE func = ?`,
    summaries: summarySql(t),
    rows: `SELECT ${catalogColumns(true)} FROM ${t} WHERE func = ? ORDER BY entry_key`,
    row: `SELECT ${catalogColumns(true)} FROM ${t} WHERE func = ? AND entry_key = ?`,
    marks: `SELECT ${catalogColumns(false)} FROM ${t} WHERE owner IS NOT NULL ORDER BY func, entry_key`,
    now: `SELECT ${NOW} AS db_now`,
  };

  const readRow = (rows: unknown): Read => {
    const raw = (rows as Raw[])[0];
    return raw ? readOf(raw.value, raw.meta) : { row: undefined, dbNow: 0 };
  };
  const get = (func: string, key: string): Promise<Read> => exec(sql.get, [func, key], readRow);
  /** Only the batch size may be inlined; it is a constant, never user input. */
  const checkLimit = (limit: number) => {
    if (limit !== DELETE_BATCH)
      throw new Error(`MariaDB deletes in batches of ${DELETE_BATCH}, got ${limit}`);
  };

  return {
    now: async () => num((await exec(sql.now, []))[0].db_now),
    get,
    async acquire(func, key, owner, leaseMs): Promise<Claimed> {
      const inserted = await exec<Header>(sql.insertMark, [func, key, owner, leaseMs]);
      if (inserted.affectedRows === 1) {
        // A new placeholder of ours: its times are the database's now, which is all the core
        // needs to report them in the caller's clock (since = claim.now).
        const row: StoredRow = {
          value: null,
          promised: false,
          storedAt: 0,
          owner,
          since: 0,
          leaseUntil: leaseMs,
        };
        return { acquired: true, row, dbNow: 0 };
      }
      const taken = await exec<Header>(sql.takeMark, [owner, leaseMs, func, key, owner]);
      return { acquired: matchedRows(taken) > 0, ...(await get(func, key)) };
    },
    async renew(func, key, owner, leaseMs) {
      return matchedRows(await exec<Header>(sql.renew, [leaseMs, func, key, owner])) > 0;
    },
    async release(func, key, owner) {
      const dropped = await exec<Header>(sql.dropPlaceholder, [func, key, owner]);
      if (dropped.affectedRows === 0) await exec(sql.unmark, [func, key, owner]);
    },
    async write(func, key, value, storedAt, owner, promised) {
      const flag = promised ? 1 : 0;
      if (owner === null) {
        await exec(sql.writeUnowned, [func, key, value, storedAt, flag]);
        return true;
      }
      return (
        matchedRows(await exec<Header>(sql.writeOwned, [value, storedAt, flag, func, key, owner])) >
        0
      );
    },
    async delete(func, key) {
      await exec(sql.delete, [func, key]);
    },
    async deleteBatch(func, limit) {
      checkLimit(limit);
      return (await exec<Header>(sql.deleteBatch, [func])).affectedRows;
    },
    async deleteStaleBatch(func, before, limit) {
      checkLimit(limit);
      return (await exec<Header>(sql.deleteStaleBatch, [func, before])).affectedRows;
    },
    async clearMarks(func) {
      const dropped = await exec<Header>(sql.dropPlaceholders, [func]);
      const unmarked = await exec<Header>(sql.unmarkAll, [func]);
      return dropped.affectedRows + matchedRows(unmarked);
    },
    keys: async (func) => (await exec(sql.keys, [func])).map((raw) => text(raw.entry_key)),
    summaries: async () => (await exec(sql.summaries, [])).map(funcSummary),
    rows: async (func, key) =>
      (await (key === undefined ? exec(sql.rows, [func]) : exec(sql.row, [func, key]))).map(
        catalogRow,
      ),
    marks: async () => (await exec(sql.marks, [])).map(catalogRow),
  };
}
