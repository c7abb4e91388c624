import { createHash } from 'node:crypto';
import { callbackWithin } from '../../lib/util';
import { offsetTracker } from './clock';
import type { ConnectionSettings, SqlConnection } from './connection';
import { requirePeer } from './faults';
import { ChangeListener, channelOf, funcTopic, keyTopic, type ListenClient } from './notify';
import {
  catalogColumns,
  catalogRow,
  funcSummary,
  num,
  readOf,
  storedRow,
  summarySql,
  text,
} from './rows';
import type { Source } from './source';
import type { Claimed, Read, Statements } from './statements';
import { MEMOIR_COLUMNS, notMemoirsTable, quoted, type TableName } from './table-name';
import { statementsPerTable } from './table-statements';

/** How a statement that timed out is named (the core's BACKEND_ERROR says which operation). */
const theStatement = () => 'the statement';

/**
 * PostgreSQL through `pg`. Statements are named, so each pooled connection parses and plans
 * them once, and each is bounded by `timeout` on the client (a stopped server answers no
 * statement_timeout). Every statement that can end a wait (write, release, delete, clear)
 * notifies the entry's topic in the same statement; one LISTEN connection per process wakes
 * waiters.
 */
type RawRow = Record<string, unknown>;
interface Result {
  rows: RawRow[];
  rowCount: number | null;
}
interface QueryConfig {
  text: string;
  values: unknown[];
  name: string;
  rowMode?: 'array';
}
/** A pg Pool or Client: both take a callback, which saves the promise pg would make. */
interface Queryable {
  query(config: QueryConfig, callback: (error: Error | null, result: Result) => void): void;
}
type PgModule = typeof import('pg');

/** The database clock in epoch ms, stable within one statement. */
const NOW = '(floor(extract(epoch from statement_timestamp()) * 1000))::bigint';
/** Errors of two processes creating the same table at once: the table exists, which is the goal. */
const ALREADY_CREATED = new Set(['23505', '42P07', '42710']);

const loadPg = (): PgModule =>
  requirePeer('pg', "The 'sql' backend on PostgreSQL", () => require('pg'));

export function openPostgres(source: Source, settings: ConnectionSettings): SqlConnection {
  let pool: InstanceType<PgModule['Pool']> | undefined;
  let closed = false;

  /** memoir's own pool, or the user's Pool/Client. */
  function queryable(): Queryable {
    if (source.kind === 'handle') return source.handle as Queryable;
    if (!pool) {
      const { Pool } = loadPg();
      pool = new Pool({
        connectionString: source.url,
        // An idle pool must not keep the process alive; the statement timers do while one runs.
        allowExitOnIdle: true,
        connectionTimeoutMillis: settings.timeoutMs,
        statement_timeout: settings.timeoutMs,
        application_name: 'memoir',
        // A cache entry lost in a server crash is recomputed, so memoir's commits do not wait
        // for the WAL flush (other sessions see them at once all the same): a miss's two
        // writes cost no disk round trip. Set per session on memoir's own pool only.
        options: '-c synchronous_commit=off',
        keepAlive: true,
      });
      // An idle client whose backend died (restart, pg_terminate_backend) is dropped by the
      // pool; without a listener the 'error' event would crash the process.
      pool.on('error', () => undefined);
    }
    return pool;
  }

  const names = new Map<string, string>();
  /**
   * Runs a named statement (`memoir_<digest of its text>`, prepared once per connection) within
   * `timeout`, decoding its result in the driver's callback: one promise per statement.
   * `arrays`: rows as arrays of values, without an object per row.
   */
  function run<T = Result>(
    sql: string,
    values: unknown[],
    decode?: (result: Result) => T,
    arrays = false,
  ): Promise<T> {
    let name = names.get(sql);
    if (!name) {
      name = `memoir_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
      names.set(sql, name);
    }
    const config: QueryConfig = { name, text: sql, values };
    if (arrays) config.rowMode = 'array';
    return callbackWithin(
      settings.timeoutMs,
      theStatement,
      (done) => queryable().query(config, done),
      decode,
    );
  }

  const listener = new ChangeListener(() => openListenClient(source, settings));
  const offset = offsetTracker(async () =>
    num((await run(`SELECT ${NOW} AS db_now`, [])).rows[0].db_now),
  );

  return {
    engine: 'postgres',
    location: source.label,
    inProcess: false,
    get closed() {
      return closed;
    },
    statements: statementsPerTable((table) =>
      createTable(run, table).then(() => postgresStatements(run, table)),
    ),
    clockOffset: offset,
    waitForChange: (table, func, key, maxMs) => listener.wait(table, func, key, maxMs),
    async query(sql, values) {
      let n = 0;
      const result = await run(
        sql.replace(/\?/g, () => `$${++n}`),
        values,
      );
      return { rows: result.rows, changed: result.rowCount ?? 0 };
    },
    async close() {
      if (closed) return;
      closed = true;
      await listener.close();
      await pool?.end();
    },
  };
}

/** The dedicated LISTEN connection, with the same settings as the queries' connections. */
async function openListenClient(
  source: Source,
  settings: ConnectionSettings,
): Promise<ListenClient> {
  const { Client } = loadPg();
  let config: Record<string, unknown>;
  if (source.kind === 'url') config = { connectionString: source.url, application_name: 'memoir' };
  else {
    const handle = source.handle as {
      options?: Record<string, unknown>;
      connectionParameters?: Record<string, unknown>;
    };
    // A Pool keeps the config it was built with; a Client its resolved connection parameters.
    config = { ...(handle.options ?? handle.connectionParameters ?? {}) };
    for (const poolOnly of [
      'max',
      'min',
      'idleTimeoutMillis',
      'allowExitOnIdle',
      'maxUses',
      'log',
      'Promise',
      'Client',
    ])
      delete config[poolOnly];
  }
  const client = new Client({
    ...config,
    connectionTimeoutMillis: settings.timeoutMs,
    keepAlive: true,
  });
  client.on('error', () => undefined); // reported through 'end' to the listener
  await client.connect();
  // Listening is no reason to stay alive: a waiting caller holds its own timer.
  (client as unknown as { unref?: () => void }).unref?.();
  return client as unknown as ListenClient;
}

async function createTable(run: Run, table: TableName): Promise<void> {
  const name = quoted(table, '"');
  const idempotent = async (statement: string) => {
    try {
      await run(statement, []);
    } catch (error) {
      if (!ALREADY_CREATED.has((error as { code?: string }).code ?? '')) throw error;
    }
  };
  await idempotent(
    `CREATE TABLE IF NOT EXISTS ${name} (` +
      'func text COLLATE "C" NOT NULL, entry_key text COLLATE "C" NOT NULL, value bytea, ' +
      'promised boolean NOT NULL DEFAULT false, ' +
      'stored_at bigint NOT NULL, owner text, since bigint, lease_until bigint, ' +
      'PRIMARY KEY (func, entry_key))',
  );
  try {
    await run(`SELECT ${MEMOIR_COLUMNS} FROM ${name} WHERE false`, []);
  } catch (error) {
    throw notMemoirsTable(table, error);
  }
  // Stale deletion walks one function's oldest entries without scanning the others.
  await idempotent(`CREATE INDEX IF NOT EXISTS "${table.base}_stale" ON ${name} (func, stored_at)`);
}

type Run = <T = Result>(
  sql: string,
  values: unknown[],
  decode?: (result: Result) => T,
  arrays?: boolean,
) => Promise<T>;

function postgresStatements(run: Run, table: TableName): Statements {
  const t = quoted(table, '"');
  const channel = channelOf(table);
  const columns = 'value, promised, stored_at, owner, since, lease_until';
  const sql = {
    // Two columns (rows.ts readOf). The database's now relates a mark's times to the
    // caller's clock, so it comes only with a mark.
    get:
      'SELECT value, CASE WHEN owner IS NULL THEN (stored_at * 2 + promised::int)::text ' +
      `ELSE concat(stored_at * 2 + promised::int, ' ', ${NOW}, ' ', since, ' ', lease_until, ' ', owner) END ` +
      `FROM ${t} WHERE func = $1 AND entry_key = $2`,
    // One statement either way: the upsert takes the mark when no live mark of another owner
    // exists; otherwise the second branch reads the holder's row.
    acquire:
      `WITH claimed AS (INSERT INTO ${t} AS e (func, entry_key, value, stored_at, owner, since, lease_until) ` +
      `VALUES ($1, $2, NULL, ${NOW}, $3, ${NOW}, ${NOW} + $4::bigint) ` +
      'ON CONFLICT (func, entry_key) DO UPDATE ' +
      'SET owner = excluded.owner, since = excluded.since, lease_until = excluded.lease_until ' +
      'WHERE e.owner IS NULL OR e.lease_until IS NULL OR e.lease_until <= excluded.since ' +
      `OR e.owner = excluded.owner RETURNING ${columns}) ` +
      `SELECT true AS acquired, ${columns}, ${NOW} AS db_now FROM claimed UNION ALL ` +
      `SELECT false, ${columns}, ${NOW} FROM ${t} ` +
      'WHERE func = $1 AND entry_key = $2 AND NOT EXISTS (SELECT 1 FROM claimed)',
    renew: `UPDATE ${t} SET lease_until = ${NOW} + $4::bigint WHERE func = $1 AND entry_key = $2 AND owner = $3`,
    release:
      `WITH dropped AS (DELETE FROM ${t} WHERE func = $1 AND entry_key = $2 AND owner = $3 AND value IS NULL RETURNING 1), ` +
      `unmarked AS (UPDATE ${t} SET owner = NULL, since = NULL, lease_until = NULL ` +
      'WHERE func = $1 AND entry_key = $2 AND owner = $3 AND value IS NOT NULL RETURNING 1) ' +
      'SELECT pg_notify($4, $5)',
    // The calculator's write: fenced by its mark, which it clears in the same statement.
    writeOwned:
      `WITH stored AS (UPDATE ${t} SET value = $3, stored_at = $4, promised = $8, owner = NULL, ` +
      'since = NULL, lease_until = NULL WHERE func = $1 AND entry_key = $2 AND owner = $5 RETURNING 1) ' +
      'SELECT (SELECT count(*) FROM stored) AS n, pg_notify($6, $7)',
    // Precaching: stores whatever the row holds, leaving a calculator's mark in place.
    writeUnowned:
      `INSERT INTO ${t} (func, entry_key, value, stored_at, promised) VALUES ($1, $2, $3, $4, $7) ` +
      'ON CONFLICT (func, entry_key) DO UPDATE SET value = excluded.value, stored_at = excluded.stored_at, ' +
      'promised = excluded.promised RETURNING pg_notify($5, $6)',
    delete: `WITH gone AS (DELETE FROM ${t} WHERE func = $1 AND entry_key = $2 RETURNING 1) SELECT pg_notify($3, $4)`,
    deleteBatch:
      `WITH gone AS (DELETE FROM ${t} WHERE func = $1 AND entry_key IN ` +
      `(SELECT entry_key FROM ${t} WHERE func = $1 LIMIT $2) RETURNING 1) ` +
      'SELECT (SELECT count(*) FROM gone) AS n, pg_notify($3, $4)',
    deleteStaleBatch:
      `WITH gone AS (DELETE FROM ${t} WHERE func = $1 AND entry_key IN ` +
      `(SELECT entry_key FROM ${t} WHERE func = $1 AND value IS NOT NULL AND stored_at < $2 ` +
      `AND (owner IS NULL OR lease_until IS NULL OR lease_until <= ${NOW}) LIMIT $3) RETURNING 1) ` +
      'SELECT count(*) AS n FROM gone',
    clearMarks:
      `WITH dropped AS (DELETE FROM ${t} WHERE func = $1 AND value IS NULL RETURNING 1), ` +
      `unmarked AS (UPDATE ${t} SET owner = NULL, since = NULL, lease_until = NULL ` +
      'WHERE func = $1 AND owner IS NOT NULL AND value IS NOT NULL RETURNING 1) ' +
      'SELECT (SELECT count(*) FROM dropped) + (SELECT count(*) FROM unmarked) AS n, pg_notify($2, $3)',
    keys: `SELECT entry_key FROM ${t} WHERE func = $1`,
    summaries: summarySql(t),
    rows: `SELECT ${catalogColumns(true)} FROM ${t} WHERE func = $1 ORDER BY entry_key`,
    row: `SELECT ${catalogColumns(true)} FROM ${t} WHERE func = $1 AND entry_key = $2`,
    marks: `SELECT ${catalogColumns(false)} FROM ${t} WHERE owner IS NOT NULL ORDER BY func, entry_key`,
    now: `SELECT ${NOW} AS db_now`,
  };
  const all = (func: string) => [channel, funcTopic(func)];
  const one = (func: string, key: string) => [channel, keyTopic(func, key)];

  const readRow = ({ rows }: Result): Read => {
    const raw = rows[0] as unknown as unknown[] | undefined;
    return raw ? readOf(raw[0], raw[1]) : { row: undefined, dbNow: 0 };
  };
  const get = (func: string, key: string): Promise<Read> =>
    run(sql.get, [func, key], readRow, true);

  return {
    now: async () => num((await run(sql.now, [])).rows[0].db_now),
    get,
    async acquire(func, key, owner, leaseMs): Promise<Claimed> {
      const [raw] = (await run(sql.acquire, [func, key, owner, leaseMs])).rows;
      if (raw)
        return { acquired: raw.acquired === true, row: storedRow(raw), dbNow: num(raw.db_now) };
      // Refused by a row committed after this statement's snapshot began: read it now.
      const read = await get(func, key);
      return { acquired: false, ...read };
    },
    async renew(func, key, owner, leaseMs) {
      return ((await run(sql.renew, [func, key, owner, leaseMs])).rowCount ?? 0) > 0;
    },
    async release(func, key, owner) {
      await run(sql.release, [func, key, owner, ...one(func, key)]);
    },
    async write(func, key, value, storedAt, owner, promised) {
      if (owner === null) {
        await run(sql.writeUnowned, [func, key, value, storedAt, ...one(func, key), promised]);
        return true;
      }
      const result = await run(sql.writeOwned, [
        func,
        key,
        value,
        storedAt,
        owner,
        ...one(func, key),
        promised,
      ]);
      return num(result.rows[0].n) > 0;
    },
    async delete(func, key) {
      await run(sql.delete, [func, key, ...one(func, key)]);
    },
    deleteBatch: async (func, limit) =>
      num((await run(sql.deleteBatch, [func, limit, ...all(func)])).rows[0].n),
    deleteStaleBatch: async (func, before, limit) =>
      num((await run(sql.deleteStaleBatch, [func, before, limit])).rows[0].n),
    clearMarks: async (func) => num((await run(sql.clearMarks, [func, ...all(func)])).rows[0].n),
    keys: async (func) => (await run(sql.keys, [func])).rows.map((raw) => text(raw.entry_key)),
    summaries: async () => (await run(sql.summaries, [])).rows.map(funcSummary),
    rows: async (func, key) =>
      (await (key === undefined ? run(sql.rows, [func]) : run(sql.row, [func, key]))).rows.map(
        catalogRow,
      ),
    marks: async () => (await run(sql.marks, [])).rows.map(catalogRow),
  };
}
