import { MemoirError } from '../../lib/errors';
import { assertPeerDependency } from '../../lib/util';

/**
 * How the SQL backend fails: fast and with a stable code. A statement that does not answer
 * within `timeout` rejects with TIMEOUT (each connection arms a deadline of the shared sweeper,
 * lib/util/deadline.ts, which is ref'd while statements are in flight since idle sockets are
 * unref'd); the core turns every server failure into BACKEND_ERROR naming the cache, the
 * operation and where.
 */

/**
 * The server dropped the connection under a statement (a restart, `pg_terminate_backend`,
 * `KILL`, a reset socket): the pool hands out a fresh one, so the statement is worth one
 * more try. A refused or silent server is not this: it fails (or times out) at once.
 */
const LOST_CONNECTION_CODES = new Set([
  '57P01', // PostgreSQL admin_shutdown: terminated by an administrator
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up)
  'ECONNRESET',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST', // mysql2
  'ER_CONNECTION_KILLED', // MariaDB KILL
]);

export function isLostConnection(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = String((error as Error | null)?.message ?? '');
  // A timeout (ours, or the driver's on connecting: pg-pool's "Connection terminated due to
  // connection timeout") means a server that does not answer: another try would only wait as
  // long again.
  if (code === 'TIMEOUT' || code === 'ETIMEDOUT' || /timeout|timed out/i.test(message))
    return false;
  if (typeof code === 'string' && (LOST_CONNECTION_CODES.has(code) || code.startsWith('08')))
    return true;
  return /Connection terminated|connection is closed|not queryable|Can't add new command when connection is in closed state/i.test(
    message,
  );
}

/** Errors that say something about the caller's setup pass through as they are. */
const SETUP_CODES = new Set([
  'INVALID_OPTION',
  'MISSING_PEER_DEPENDENCY',
  'SERIALIZATION_FAILED',
  'INVALID_KEY',
]);

export function backendError(
  cache: string,
  operation: string,
  location: string,
  cause: unknown,
): MemoirError {
  if (cause instanceof MemoirError && SETUP_CODES.has(cause.code)) return cause;
  if (cause instanceof MemoirError && cause.code === 'BACKEND_ERROR') return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new MemoirError(
    'BACKEND_ERROR',
    `Cache "${cache}": SQL ${operation} on ${location} failed: ${reason}`,
    { cause },
  );
}

/**
 * Loads an optional peer dependency where it is first needed (a missing one is
 * MISSING_PEER_DEPENDENCY with the install command). The `load` thunk holds a literal
 * `require('pkg')`, so bundlers see the name and keep it external.
 */
export function requirePeer<T>(pkg: string, purpose: string, load: () => T): T {
  assertPeerDependency(pkg, purpose);
  return load();
}
