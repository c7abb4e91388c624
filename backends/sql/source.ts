import { invalidOption } from '../../lib/errors';

/**
 * The `sql` option, understood without loading any driver: a URL whose scheme names the
 * engine, or a handle the user already has, recognised by its shape (never `instanceof`:
 * the user's copy of the driver need not be ours). Handles are never closed by memoir.
 */
export type Engine = 'postgres' | 'mysql' | 'sqlite';

export type Source =
  | { kind: 'url'; engine: Engine; url: string; label: string }
  | { kind: 'handle'; engine: Engine; handle: object; label: string };

export const SQL_ACCEPTED =
  'a URL (postgres://, postgresql://, mysql://, mariadb://, sqlite:///abs/path.db, sqlite::memory:) ' +
  'or a handle: a pg Pool or Client, a mysql2 pool, a better-sqlite3 Database';

export function parseSource(sql: unknown): Source {
  if (typeof sql === 'string') return parseUrl(sql);
  if (typeof sql === 'object' && sql !== null) {
    const engine = handleEngine(sql as Record<string, unknown>);
    if (engine)
      return { kind: 'handle', engine, handle: sql, label: `your ${HANDLE_NAMES[engine]}` };
  }
  throw invalidOption('sql', sql, SQL_ACCEPTED);
}

const HANDLE_NAMES: Record<Engine, string> = {
  postgres: 'pg handle',
  mysql: 'mysql2 handle',
  sqlite: 'better-sqlite3 Database',
};

function parseUrl(url: string): Source {
  if (url === 'sqlite::memory:') return { kind: 'url', engine: 'sqlite', url, label: url };
  const scheme = /^([a-z]+):\/\//.exec(url)?.[1];
  if (scheme === 'postgres' || scheme === 'postgresql')
    return { kind: 'url', engine: 'postgres', url, label: redact(url) };
  if (scheme === 'mysql' || scheme === 'mariadb') {
    const normalized = url.replace(/^mariadb:/, 'mysql:');
    return { kind: 'url', engine: 'mysql', url: normalized, label: redact(url) };
  }
  if (scheme === 'sqlite' && sqlitePath(url).startsWith('/'))
    return { kind: 'url', engine: 'sqlite', url, label: url };
  throw invalidOption('sql', url, SQL_ACCEPTED);
}

/** `sqlite:///var/cache/app.db?x=1` → `/var/cache/app.db`; `sqlite::memory:` → `:memory:`. */
export function sqlitePath(url: string): string {
  if (url === 'sqlite::memory:') return ':memory:';
  return decodeURIComponent(url.slice('sqlite://'.length).replace(/[?#].*$/, ''));
}

const isFunction = (value: unknown) => typeof value === 'function';

function handleEngine(handle: Record<string, unknown>): Engine | undefined {
  if (isFunction(handle.prepare) && isFunction(handle.pragma) && isFunction(handle.exec))
    return 'sqlite';
  if (mysqlExecutor(handle)) return 'mysql';
  // pg: a Pool has idleCount, a Client its connectionParameters; both query() and connect().
  if (
    isFunction(handle.query) &&
    isFunction(handle.connect) &&
    ('idleCount' in handle || 'connectionParameters' in handle)
  )
    return 'postgres';
  return undefined;
}

/**
 * The callback-style mysql2 object behind a handle: a pool or connection itself, or the one
 * a `mysql2/promise` wrapper holds (`.pool`, `.connection`). It runs `execute(sql, values, cb)`.
 */
export function mysqlExecutor(
  handle: Record<string, unknown>,
): Record<string, unknown> | undefined {
  for (const candidate of [handle.pool, handle.connection, handle]) {
    const object = candidate as Record<string, unknown> | undefined;
    if (
      object &&
      typeof object === 'object' &&
      isFunction(object.execute) &&
      (isFunction(object.getConnection) || 'threadId' in object) &&
      // the promise wrappers have no `config`: they are skipped for the core object inside
      'config' in object
    ) {
      return object;
    }
  }
  return undefined;
}

/** A URL for messages: the password never reaches a log. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
