import { registerConnectionCloser } from '../../lib/contract';
import type { SqlConnection } from './connection';
import { openMysql } from './mysql';
import { openPostgres } from './postgres';
import type { Source } from './source';
import { openSqlite } from './sqlite';

/**
 * One connection per database and timeout per process (the connection bounds each statement
 * by it): every core on the same URL or the same handle, with the same timeout, shares it. Cores hold a lease on it; the last lease released closes what memoir
 * opened. `closeConnections()` closes everything at once; cores then reopen on their next call.
 */
interface Shared {
  connection: SqlConnection;
  users: number;
}

const byUrl = new Map<string, Shared>();
const byHandle = new WeakMap<object, Map<number, Shared>>();
/** Every open connection, handles' included (they may hold a listener of ours). */
const open = new Set<Shared>();

const OPENERS = { postgres: openPostgres, mysql: openMysql, sqlite: openSqlite };

export interface ConnectionLease {
  readonly connection: SqlConnection;
  /** Gives the connection back; closes it when no core uses it any more. Idempotent. */
  release(): Promise<void>;
}

export function leaseConnection(source: Source, timeoutMs: number): ConnectionLease {
  const urlKey = source.kind === 'url' ? `${source.url}\u0000${timeoutMs}` : undefined;
  let perTimeout: Map<number, Shared> | undefined;
  if (source.kind === 'handle') {
    perTimeout = byHandle.get(source.handle) ?? new Map<number, Shared>();
    byHandle.set(source.handle, perTimeout);
  }
  let shared = urlKey !== undefined ? byUrl.get(urlKey) : perTimeout?.get(timeoutMs);
  if (!shared || shared.connection.closed) {
    shared = { connection: OPENERS[source.engine](source, { timeoutMs }), users: 0 };
    if (urlKey !== undefined) byUrl.set(urlKey, shared);
    else perTimeout?.set(timeoutMs, shared);
    open.add(shared);
  }
  const held = shared;
  held.users++;
  let released = false;
  return {
    connection: held.connection,
    async release() {
      if (released) return;
      released = true;
      if (--held.users > 0) return;
      open.delete(held);
      if (urlKey !== undefined && byUrl.get(urlKey) === held) byUrl.delete(urlKey);
      await held.connection.close();
    },
  };
}

export async function closeSqlConnections(): Promise<void> {
  const all = [...open];
  open.clear();
  byUrl.clear();
  await Promise.all(all.map((shared) => shared.connection.close()));
}

registerConnectionCloser(closeSqlConnections);
