import type { CatalogRow, FuncSummary, Read, StoredRow } from './statements';

/**
 * Driver rows to plain shapes. Drivers disagree on types: BIGINT arrives as a string (pg), a
 * number (mysql2, better-sqlite3) or a BigInt (user handles with safe integers); MariaDB's
 * VARBINARY text columns arrive as Buffers.
 */
type RawRow = Record<string, unknown>;

export function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') return Number(value);
  throw new Error(`expected a number, got ${value === null ? 'null' : typeof value}`);
}

export function optionalNum(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  throw new Error(`expected text, got ${value === null ? 'null' : typeof value}`);
}

export function optionalText(value: unknown): string | null {
  return value === null || value === undefined ? null : text(value);
}

export function bytes(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new Error(`expected bytes, got ${typeof value}`);
}

/** A boolean column: true/false (PostgreSQL), 1/0 (MariaDB, SQLite). */
export function flag(value: unknown): boolean {
  return value === true || Number(value) === 1;
}

/** Columns value, promised, stored_at, owner, since, lease_until. */
export function storedRow(raw: RawRow): StoredRow {
  return {
    value: bytes(raw.value),
    promised: flag(raw.promised),
    storedAt: num(raw.stored_at),
    owner: optionalText(raw.owner),
    since: optionalNum(raw.since),
    leaseUntil: optionalNum(raw.lease_until),
  };
}

/** The same columns as an array, in that order (a driver's raw row mode). */
export function storedRowOf(raw: unknown[]): StoredRow {
  return {
    value: bytes(raw[0]),
    promised: flag(raw[1]),
    storedAt: num(raw[2]),
    owner: optionalText(raw[3]),
    since: optionalNum(raw[4]),
    leaseUntil: optionalNum(raw[5]),
  };
}

/**
 * The read statement's row on the servers (postgres.ts, mysql.ts): two columns, `value` and
 * `meta`. Meta starts with `2 × stored_at + promised`; for a row with an owner it goes on,
 * space-separated, with the database's now, since and lease_until (empty where NULL) and the
 * owner last (the one field that may hold spaces). Two columns rather than seven, and few
 * expressions, because a driver pays per column on every execution (its description, parser
 * and property) and the server per expression (it sets each one up for every execution).
 */
export function readOf(value: unknown, meta: unknown): Read {
  const packed = typeof meta === 'string' || meta instanceof Uint8Array ? text(meta) : undefined;
  const space = packed === undefined ? -1 : packed.indexOf(' ');
  const stamp = num(space === -1 ? (packed ?? meta) : (packed as string).slice(0, space));
  // (An injected clock may store times before 1970: the remainder of an odd stamp is then -1.)
  const promised = stamp % 2 !== 0;
  const row: StoredRow = {
    value: bytes(value),
    promised,
    storedAt: (stamp - (promised ? 1 : 0)) / 2,
    owner: null,
    since: null,
    leaseUntil: null,
  };
  if (space === -1) return { row, dbNow: 0 };
  const [, dbNow, since, leaseUntil] = (packed as string).split(' ', 4);
  row.owner = (packed as string).slice(space + dbNow.length + since.length + leaseUntil.length + 4);
  row.since = since === '' ? null : num(since);
  row.leaseUntil = leaseUntil === '' ? null : num(leaseUntil);
  return { row, dbNow: num(dbNow) };
}

/** Columns func, entry_key, size, completed, stored_at, owner, since, lease_until, value. */
export function catalogRow(raw: RawRow): CatalogRow {
  return {
    ...storedRow(raw),
    func: text(raw.func),
    key: text(raw.entry_key),
    size: optionalNum(raw.size) ?? 0,
    completed: flag(raw.completed),
  };
}

/** Columns func, entries, completed, bytes, oldest, newest. */
export function funcSummary(raw: RawRow): FuncSummary {
  return {
    func: text(raw.func),
    entries: num(raw.entries),
    completed: num(raw.completed),
    bytes: optionalNum(raw.bytes) ?? 0,
    oldest: optionalNum(raw.oldest),
    newest: optionalNum(raw.newest),
  };
}

/**
 * The per-function aggregate of the CLI's list, in SQL every engine understands. `octet_length`
 * counts bytes on PostgreSQL, MariaDB and SQLite (3.43+) alike.
 */
export function summarySql(table: string): string {
  return (
    'SELECT func, count(*) AS entries, count(value) AS completed, ' +
    'sum(octet_length(value)) AS bytes, ' +
    'min(CASE WHEN value IS NOT NULL THEN stored_at END) AS oldest, ' +
    'max(CASE WHEN value IS NOT NULL THEN stored_at END) AS newest ' +
    `FROM ${table} GROUP BY func ORDER BY func`
  );
}

/** The columns of a catalog row; `value` only when the caller wants values. */
export function catalogColumns(withValue: boolean): string {
  return (
    'func, entry_key, octet_length(value) AS size, (value IS NOT NULL) AS completed, ' +
    'promised, stored_at, owner, since, lease_until' +
    (withValue ? ', value' : ', NULL AS value')
  );
}
