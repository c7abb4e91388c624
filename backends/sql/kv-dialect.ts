import type { Engine } from './source';
import { quoted, type TableName } from './table-name';

/**
 * The key-value cache's table and statements, per engine. One row per key:
 *
 *   ns    the cache's namespace          kind  'v' a value, 'l' a lock
 *   k     the key (stored-text.ts form)  t     1 bytes, 2 text, 3 integer, 4 other number
 *   v     bytes (text as UTF-8)          num   the integer (t = 3)
 *   exp   expiry, epoch ms on the database's clock (0: never)
 *   ver   a token changed by every write (a lock's owner for kind 'l')
 *
 * Everything is judged on the database's clock (NOW), so every process and machine agrees on
 * what expired. Statements use `?` placeholders; the connection substitutes the engine's own.
 */
export interface KvStatements {
  create: string[];
  get: string;
  /** ns, k: the row with its version */
  getVersioned: string;
  getMany(count: number): string;
  exists: string;
  /** ns: the keys of the live values */
  keys: string;
  /** ns, kind, k, t, v, num, ttl, ttl, ver */
  upsert: string;
  /** ns, kind, k, t, v, num, ttl, ttl, ver: inserts only where no row is */
  insertIgnore: string;
  /** t, v, num, ttl, ttl, ver, ns, kind, k: replaces an expired row */
  replaceExpired: string;
  /** delta, token, ns, k, low, high: adds to a live integer whose current value is in [low, high]; the new value */
  incrementLive: string;
  /** How incrementLive hands its result back. */
  incrementResult: 'returning' | 'zigzag-last-insert-id';
  /** t, v, num, ttl, ttl, newVer, ns, k, ver */
  compareAndSet: string;
  /** num, newVer, ns, k, ver: an integer in place of a live value, keeping its expiry */
  setIntegerIfVersion: string;
  /** ttl, ttl, ns, k */
  expire: string;
  /** ns, k */
  deleteLive: string;
  /** ns, limit */
  clearBatch: string;
  /** ns, limit */
  purgeBatch: string;
  /** owner, lease, ns, k, owner */
  lockTake: string;
  /** lease, ns, k, owner */
  lockRenew: string;
  /**
   * ns, k, owner, and on PostgreSQL the channel and topic to notify: deletes the owner's lock; the
   * number of rows (or rows returned) says whether it did. PostgreSQL notifies in the same
   * statement, so lock waiters in every process wake at once (LISTEN, notify.ts).
   */
  unlock: string;
  /** Whether `unlock` takes the channel and topic of a notification. */
  notifiesUnlock: boolean;
}

const NOW: Record<Engine, string> = {
  postgres: '(floor(extract(epoch from statement_timestamp()) * 1000))::bigint',
  mysql: "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)",
  sqlite: "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
};

const COLUMNS: Record<Engine, string> = {
  postgres:
    // COLLATE "C": names and keys compare byte for byte, as in the entries table.
    'ns TEXT COLLATE "C" NOT NULL, kind CHAR(1) NOT NULL, k TEXT COLLATE "C" NOT NULL, t SMALLINT NOT NULL, v BYTEA NULL, ' +
    'num BIGINT NULL, exp BIGINT NOT NULL DEFAULT 0, ver TEXT NOT NULL, PRIMARY KEY (ns, kind, k)',
  // Names and keys are VARBINARY, as in the entries table: compared byte for byte.
  mysql:
    'ns VARBINARY(512) NOT NULL, kind CHAR(1) NOT NULL, k VARBINARY(2048) NOT NULL, t SMALLINT NOT NULL, ' +
    'v LONGBLOB NULL, num BIGINT NULL, exp BIGINT NOT NULL DEFAULT 0, ver VARBINARY(1024) NOT NULL, ' +
    'PRIMARY KEY (ns, kind, k)',
  sqlite:
    'ns TEXT NOT NULL, kind TEXT NOT NULL, k TEXT NOT NULL, t INTEGER NOT NULL, v BLOB NULL, ' +
    'num INTEGER NULL, exp INTEGER NOT NULL DEFAULT 0, ver TEXT NOT NULL, PRIMARY KEY (ns, kind, k)',
};

export function kvStatements(engine: Engine, table: TableName): KvStatements {
  const q = quoted(table, engine === 'mysql' ? '`' : '"');
  const now = NOW[engine];
  const live = `(exp = 0 OR exp > ${now})`;
  // PostgreSQL would type a bare `? > 0` as int4: a ttl of 25 days or more would not fit.
  const ttl = engine === 'postgres' ? '?::bigint' : '?';
  const expiry = `CASE WHEN ${ttl} > 0 THEN ${now} + ${ttl} ELSE 0 END`;
  const value = "ns = ? AND kind = 'v' AND k = ?";
  const lock = "ns = ? AND kind = 'l' AND k = ?";
  const insert = `(ns, kind, k, t, v, num, exp, ver) VALUES (?, ?, ?, ?, ?, ?, ${expiry}, ?)`;
  const mysql = engine === 'mysql';
  return {
    create: [`CREATE TABLE IF NOT EXISTS ${q} (${COLUMNS[engine]})${mysql ? ' ENGINE=InnoDB' : ''}`],
    get: `SELECT t, v, num FROM ${q} WHERE ${value} AND ${live}`,
    getVersioned: `SELECT t, v, num, ver FROM ${q} WHERE ${value} AND ${live}`,
    getMany: (count) => `SELECT k, t, v, num FROM ${q} WHERE ns = ? AND kind = 'v' AND k IN (${Array(count).fill('?').join(', ')}) AND ${live}`,
    exists: `SELECT 1 AS present FROM ${q} WHERE ${value} AND ${live}`,
    keys: `SELECT k FROM ${q} WHERE ns = ? AND kind = 'v' AND ${live}`,
    upsert: mysql
      ? `INSERT INTO ${q} ${insert} ON DUPLICATE KEY UPDATE t = VALUES(t), v = VALUES(v), num = VALUES(num), exp = VALUES(exp), ver = VALUES(ver)`
      : `INSERT INTO ${q} ${insert} ON CONFLICT (ns, kind, k) DO UPDATE SET t = excluded.t, v = excluded.v, num = excluded.num, exp = excluded.exp, ver = excluded.ver`,
    insertIgnore: mysql ? `INSERT IGNORE INTO ${q} ${insert}` : `INSERT INTO ${q} ${insert} ON CONFLICT (ns, kind, k) DO NOTHING`,
    replaceExpired: `UPDATE ${q} SET t = ?, v = ?, num = ?, exp = ${expiry}, ver = ? WHERE ns = ? AND kind = ? AND k = ? AND exp <> 0 AND exp <= ${now}`,
    incrementLive: mysql
      ? // MariaDB/MySQL have no UPDATE ... RETURNING: the sum comes back as LAST_INSERT_ID
        // (in the OK packet), set as a side effect while `ver` is assigned (assignments run left
        // to right, so `num` is already the sum). LAST_INSERT_ID is unsigned: the sum is stored
        // zigzag-encoded (n >= 0: 2n, else -2n - 1), exact for |n| < 2^52, the range asked for.
        `UPDATE ${q} SET num = num + ?, ver = CONCAT(?, LEFT(LAST_INSERT_ID(IF(num >= 0, 2 * num, -2 * num - 1)), 0)) ` +
        `WHERE ${value} AND t = 3 AND ${live} AND num BETWEEN ? AND ?`
      : `UPDATE ${q} SET num = num + ?, ver = ? WHERE ${value} AND t = 3 AND ${live} AND num BETWEEN ? AND ? RETURNING num`,
    incrementResult: mysql ? 'zigzag-last-insert-id' : 'returning',
    compareAndSet: `UPDATE ${q} SET t = ?, v = ?, num = ?, exp = ${expiry}, ver = ? WHERE ${value} AND ver = ? AND ${live}`,
    setIntegerIfVersion: `UPDATE ${q} SET t = 3, v = NULL, num = ?, ver = ? WHERE ${value} AND ver = ? AND ${live}`,
    expire: `UPDATE ${q} SET exp = ${expiry} WHERE ${value} AND ${live}`,
    deleteLive: `DELETE FROM ${q} WHERE ${value} AND ${live}`,
    clearBatch: batchDelete(engine, q, "ns = ? AND kind = 'v'"),
    purgeBatch: batchDelete(engine, q, `ns = ? AND exp <> 0 AND exp <= ${now}`),
    lockTake: `UPDATE ${q} SET ver = ?, exp = ${now} + ${ttl} WHERE ${lock} AND (exp <= ${now} OR ver = ?)`,
    lockRenew: `UPDATE ${q} SET exp = ${now} + ${ttl} WHERE ${lock} AND ver = ? AND exp > ${now}`,
    unlock:
      engine === 'postgres'
        ? `WITH gone AS (DELETE FROM ${q} WHERE ${lock} AND ver = ? AND exp > ${now} RETURNING 1) SELECT pg_notify(?, ?) FROM gone`
        : `DELETE FROM ${q} WHERE ${lock} AND ver = ? AND exp > ${now}`,
    notifiesUnlock: engine === 'postgres',
  };
}

/** Deletes at most `limit` rows matching `where` (a bounded batch, never a table-wide DELETE). */
function batchDelete(engine: Engine, q: string, where: string): string {
  switch (engine) {
    case 'mysql':
      return `DELETE FROM ${q} WHERE ${where} LIMIT ?`;
    case 'sqlite':
      return `DELETE FROM ${q} WHERE rowid IN (SELECT rowid FROM ${q} WHERE ${where} LIMIT ?)`;
    default:
      return `DELETE FROM ${q} WHERE (ns, kind, k) IN (SELECT ns, kind, k FROM ${q} WHERE ${where} LIMIT ?)`;
  }
}
