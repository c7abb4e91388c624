import { randomBytes } from 'node:crypto';
import type { CacheStore, CacheStoreFactory } from '../../lib/contract';
import { parseInteger } from '../../lib/contract';
import { MemoirError } from '../../lib/errors';
import type { SqlConnection } from './connection';
import { isLostConnection } from './faults';
import { type KvStatements, kvStatements } from './kv-dialect';
import { type ConnectionLease, leaseConnection } from './registry';
import { bytes, num, text } from './rows';
import { checkKey, checkName } from './settings';
import { parseSource, SQL_ACCEPTED } from './source';
import { channelOf, keyTopic } from './notify';
import { fromStored, toStored } from './stored-text';
import { tableName } from './table-name';

/**
 * The SQL key-value store: one row per key in a table of its own (default `memoir_kv`, beside
 * the memoized functions' `memoir_entries`), on the same connections as the SQL core. Every
 * command is one or two statements keyed by the (ns, kind, k) primary key, each atomic on its
 * own, so add, increment and compare-and-set have one outcome across processes and machines
 * without a transaction: add is an INSERT that skips an existing row (then takes it over only
 * if it expired), increment an UPDATE of a live integer (or the first INSERT), compare-and-set
 * an UPDATE guarded by the version read. Expiry is judged on the database's clock.
 */
export const DEFAULT_KV_TABLE = 'memoir_kv';
const BATCH = 1_000;
const PURGE_EVERY = 1_000;
const MAX_ATTEMPTS = 100;
/** MariaDB/MySQL hand an increment back zigzag-encoded in LAST_INSERT_ID: exact below 2^52. */
const ZIGZAG_BOUND = 2 ** 52 - 1;
const DEFAULT_POOL_TIMEOUT_MS = 5_000;
/** PostgreSQL's answers to a CREATE TABLE IF NOT EXISTS racing another one. */
const ALREADY_CREATED = new Set(['23505', '42P07', '42710']);

const TAG = { bytes: 1, text: 2, integer: 3, number: 4 } as const;

interface Row {
  t: number;
  v: Buffer | null;
  num: number | null;
}

/** A stored value as its row's columns. */
function toRow(value: unknown): Row {
  if (Buffer.isBuffer(value)) return { t: TAG.bytes, v: value, num: null };
  if (typeof value === 'string') return { t: TAG.text, v: Buffer.from(value, 'utf8'), num: null };
  if (typeof value === 'number' && Number.isSafeInteger(value)) return { t: TAG.integer, v: null, num: value };
  return { t: TAG.number, v: Buffer.from(String(value)), num: null };
}

function fromRow(raw: Record<string, unknown>): unknown {
  switch (Number(raw.t)) {
    case TAG.text:
      return text(raw.v);
    case TAG.integer:
      return num(raw.num);
    case TAG.number:
      return Number(text(raw.v));
    default:
      return Buffer.from(bytes(raw.v) ?? Buffer.alloc(0));
  }
}

const newVersion = () => randomBytes(9).toString('base64url');
const unzigzag = (n: number) => (n % 2 === 0 ? n / 2 : -(n + 1) / 2);

export const createSqlStore: CacheStoreFactory = ({ namespace, timeout, options }) => {
  if (options.sql === undefined) {
    throw new MemoirError('INVALID_OPTION', `Invalid option "sql": a sql cache needs ${SQL_ACCEPTED}.`);
  }
  const source = parseSource(options.sql);
  const table = tableName(options.table ?? DEFAULT_KV_TABLE);
  const ns = toStored(namespace);
  const badName = checkName(ns);
  if (badName) throw badName;
  // The cache bounds each command with its own (or a call's) timeout; the pool's connect and
  // statement limits are the SQL backend's default or longer, so that one cache with a tight
  // timeout does not get a pool that cannot connect, and the pool is shared with the SQL core.
  const timeoutMs = Math.max(timeout, DEFAULT_POOL_TIMEOUT_MS);
  const statements = kvStatements(source.engine, table);
  /** The notification topics of this namespace's locks (keyTopic of it and a lock's key). */
  const lockTopic = `\u0000kv-lock\u0000${ns}`;
  const ready = new WeakMap<SqlConnection, Promise<void>>();
  let lease: ConnectionLease | undefined;
  let writes = 0;
  let closed = false;

  function connection(): SqlConnection {
    if (!lease || lease.connection.closed) lease = leaseConnection(source, timeoutMs);
    return lease.connection;
  }

  /** The table, created on a connection's first use (a failure is retried next time). */
  function prepared(current: SqlConnection): Promise<void> {
    let done = ready.get(current);
    if (!done) {
      done = (async () => {
        for (const statement of statements.create) {
          try {
            await current.query(statement, []);
          } catch (error) {
            // Processes creating the table at once: PostgreSQL lets one win and fails the
            // others on its catalog's unique index. The table exists, which is the goal.
            if (!ALREADY_CREATED.has(String((error as { code?: unknown })?.code))) throw error;
          }
        }
      })();
      ready.set(current, done);
      done.catch(() => ready.delete(current));
    }
    return done;
  }

  type Query = (sql: string, values: unknown[]) => ReturnType<SqlConnection['query']>;

  /** Runs one command; a connection the server dropped is worth one more try; failures are BACKEND_ERROR. */
  async function run<T>(operation: string, body: (query: Query, sql: KvStatements) => Promise<T>): Promise<T> {
    if (closed) throw new MemoirError('BACKEND_ERROR', `sql cache "${namespace}" is closed.`);
    for (let attempt = 1; ; attempt++) {
      const current = connection();
      try {
        await prepared(current);
        return await body((sql, values) => current.query(sql, values), statements);
      } catch (error) {
        if (attempt === 1 && isLostConnection(error)) continue;
        if (error instanceof MemoirError) throw error;
        throw new MemoirError(
          'BACKEND_ERROR',
          `sql cache "${namespace}": ${operation} on ${current.location} (table ${table.name}) failed: ${(error as Error)?.message ?? String(error)}`,
          { cause: error },
        );
      }
    }
  }

  function keyOf(key: string): string {
    const stored = toStored(key);
    checkKey(`sql cache "${namespace}"`, stored);
    return stored;
  }

  /** Every PURGE_EVERY writes, a batch of this namespace's expired rows goes. */
  function wrote(): void {
    if (++writes % PURGE_EVERY !== 0) return;
    run('purge', (query, sql) => query(sql.purgeBatch, [ns, BATCH])).catch(() => undefined);
  }

  const ttlArgs = (ttl: number | undefined) => {
    const ms = ttl === undefined ? 0 : Math.max(1, Math.ceil(ttl));
    return [ms, ms];
  };

  /** Inserts `row` where no live row is: into a free key, or over an expired one. */
  async function insertFresh(query: Query, sql: KvStatements, kind: 'v' | 'l', k: string, row: Row, ttl: number | undefined, ver: string): Promise<boolean> {
    const inserted = await query(sql.insertIgnore, [ns, kind, k, row.t, row.v, row.num, ...ttlArgs(ttl), ver]);
    if (inserted.changed > 0) return true;
    const replaced = await query(sql.replaceExpired, [row.t, row.v, row.num, ...ttlArgs(ttl), ver, ns, kind, k]);
    return replaced.changed > 0;
  }

  async function increment(query: Query, sql: KvStatements, key: string, k: string, delta: number): Promise<number> {
    const bound = sql.incrementResult === 'returning' ? Number.MAX_SAFE_INTEGER : ZIGZAG_BOUND;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const updated = await query(sql.incrementLive, [delta, newVersion(), ns, k, -bound - delta, bound - delta]);
      if (sql.incrementResult === 'returning' && updated.rows.length > 0) return num(updated.rows[0].num);
      if (sql.incrementResult !== 'returning' && updated.changed > 0) return unzigzag(updated.lastInsertId ?? 0);
      if (await insertFresh(query, sql, 'v', k, toRow(delta), undefined, newVersion())) return delta;
      // A live value the fast path could not add to: digits stored as text, an integer beyond
      // the fast path's range, or not a number at all. Replaced by the sum if nobody wrote since.
      const [row] = (await query(sql.getVersioned, [ns, k])).rows;
      if (!row) continue; // deleted or expired meanwhile
      const base = parseInteger(fromRow(row));
      if (base === undefined || !Number.isSafeInteger(base + delta)) {
        throw new MemoirError('NOT_A_NUMBER', `sql cache "${namespace}": the value of ${JSON.stringify(key)} is not an integer (or the sum leaves the safe integer range).`);
      }
      const swapped = await query(sql.setIntegerIfVersion, [base + delta, newVersion(), ns, k, text(row.ver)]);
      if (swapped.changed > 0) return base + delta;
    }
    throw new Error(`the row of ${JSON.stringify(key)} kept changing during ${MAX_ATTEMPTS} increments`);
  }

  const store: CacheStore = {
    backend: 'sql',
    get: (key) =>
      run('get', async (query, sql) => {
        const [row] = (await query(sql.get, [ns, keyOf(key)])).rows;
        return row && fromRow(row);
      }),
    multiGet: (keys) =>
      run('multiGet', async (query, sql) => {
        const stored = keys.map(keyOf);
        const byKey = new Map<string, unknown>();
        for (let start = 0; start < stored.length; start += 500) {
          const chunk = [...new Set(stored.slice(start, start + 500))];
          for (const row of (await query(sql.getMany(chunk.length), [ns, ...chunk])).rows) byKey.set(text(row.k), fromRow(row));
        }
        return stored.map((k) => byKey.get(k));
      }),
    set: (key, value, ttl) =>
      run('set', async (query, sql) => {
        const row = toRow(value);
        await query(sql.upsert, [ns, 'v', keyOf(key), row.t, row.v, row.num, ...ttlArgs(ttl), newVersion()]);
        wrote();
      }),
    add: (key, value, ttl) =>
      run('add', async (query, sql) => {
        const added = await insertFresh(query, sql, 'v', keyOf(key), toRow(value), ttl, newVersion());
        if (added) wrote();
        return added;
      }),
    multiSet: (entries, ttl) =>
      run('multiSet', async (query, sql) => {
        // The upserts run in parallel over the pool, in no set order: a key given twice keeps its
        // last value, as on every backend, only if the earlier ones are never sent.
        const last = new Map<string, unknown>();
        for (const [key, value] of entries) last.set(keyOf(key), value);
        await Promise.all(
          [...last].map(([k, value]) => {
            const row = toRow(value);
            return query(sql.upsert, [ns, 'v', k, row.t, row.v, row.num, ...ttlArgs(ttl), newVersion()]);
          }),
        );
        for (let i = 0; i < last.size; i++) wrote();
      }),
    exists: (key) => run('exists', async (query, sql) => (await query(sql.exists, [ns, keyOf(key)])).rows.length > 0),
    increment: (key, delta) => run('increment', (query, sql) => increment(query, sql, key, keyOf(key), delta)),
    expire: (key, ttl) => run('expire', async (query, sql) => (await query(sql.expire, [...ttlArgs(ttl), ns, keyOf(key)])).changed > 0),
    delete: (key) => run('delete', async (query, sql) => ((await query(sql.deleteLive, [ns, keyOf(key)])).changed > 0 ? 1 : 0)),
    clear: () =>
      run('clear', async (query, sql) => {
        while ((await query(sql.clearBatch, [ns, BATCH])).changed >= BATCH);
      }),
    keys: () => run('keys', async (query, sql) => (await query(sql.keys, [ns])).rows.map((row) => fromStored(text(row.k)))),
    raw: (statement, args) => run('raw', (query) => query(statement, args)),
    getVersioned: (key) =>
      run('optimisticLock', async (query, sql) => {
        const [row] = (await query(sql.getVersioned, [ns, keyOf(key)])).rows;
        return row ? { value: fromRow(row), version: text(row.ver) } : { value: undefined, version: undefined };
      }),
    compareAndSet: (key, value, version, ttl) =>
      run('cas', async (query, sql) => {
        const k = keyOf(key);
        const row = toRow(value);
        const next = newVersion();
        const stored =
          version === undefined
            ? await insertFresh(query, sql, 'v', k, row, ttl, next)
            : (await query(sql.compareAndSet, [row.t, row.v, row.num, ...ttlArgs(ttl), next, ns, k, version])).changed > 0;
        if (stored) wrote();
        return stored ? next : undefined;
      }),
    tryLock: (name, owner, lease) =>
      run('lock', async (query, sql) => {
        const k = keyOf(name);
        const ms = Math.max(1, Math.ceil(lease));
        const inserted = await query(sql.insertIgnore, [ns, 'l', k, 0, null, null, ms, ms, owner]);
        if (inserted.changed > 0) return true;
        return (await query(sql.lockTake, [owner, ms, ns, k, owner])).changed > 0;
      }),
    renewLock: (name, owner, lease) =>
      run('lock renewal', async (query, sql) => (await query(sql.lockRenew, [Math.max(1, Math.ceil(lease)), ns, keyOf(name), owner])).changed > 0),
    unlock: (name, owner) =>
      run('unlock', async (query, sql) => {
        const k = keyOf(name);
        const notify = sql.notifiesUnlock ? [channelOf(table), keyTopic(lockTopic, k)] : [];
        return (await query(sql.unlock, [ns, k, owner, ...notify])).changed > 0;
      }),
    async close() {
      if (closed) return;
      closed = true;
      await lease?.release();
    },
  };
  // PostgreSQL wakes lock waiters with the unlock's NOTIFY; the other engines poll (lib/caches/lock.ts).
  if (statements.notifiesUnlock) {
    store.waitForUnlock = async (name, maxMs) => {
      const waiting = connection().waitForChange?.(table, lockTopic, keyOf(name), maxMs);
      if (waiting) await waiting;
    };
  }
  return store;
};
