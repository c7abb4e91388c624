import {
  type AcquireOutcome,
  type Claim,
  type Core,
  type CoreSpec,
  type Entry,
  serializeFor,
  WOULD_WAIT,
  type WriteOptions,
  type WriteResult,
} from '../../lib/contract';
import { MemoirError } from '../../lib/errors';
import { withTimeout } from '../../lib/util';
import type { SqlConnection } from './connection';
import { decodeRow, Unreadable } from './entries';
import { backendError, isLostConnection } from './faults';
import { type ConnectionLease, leaseConnection } from './registry';
import { checkKey, checkName, readSettings } from './settings';
import { DELETE_BATCH, type Read, type StoredRow, type Statements } from './statements';
import { fromStored, toStored } from './stored-text';

/**
 * The SQL core: one row per entry in a table many processes and machines share, over a
 * dialect of a dozen statements (statements.ts). Correctness rests on the (func, key) primary
 * key and on the database judging leases with its own clock inside the statement that takes
 * the mark. Async only: a sync function on this backend returns a Promise.
 *
 * Server errors reject with MemoirError 'BACKEND_ERROR' (a statement that does not answer
 * within `timeout` too: the connection bounds each one); whether the call then fails or runs
 * uncached is the engine's policy.
 */
const ATTEMPTS_WHEN_ENTRY_VANISHES = 3;
const ATTEMPTS_AFTER_LOST_CONNECTIONS = 3;

export function createSqlCore(spec: CoreSpec): Core {
  const settings = readSettings(spec.options);
  const { table, timeoutMs, serializer, clock } = settings;
  const cache = spec.name;
  const func = toStored(cache);
  const badName = checkName(func);
  const reportedKeys = new Set<string>();
  let lease: ConnectionLease | undefined;
  let closed = false;

  function connection(): SqlConnection {
    if (!lease || lease.connection.closed) lease = leaseConnection(settings.source, timeoutMs);
    return lease.connection;
  }

  const where = (connection: SqlConnection) => `${connection.location} (table ${table.name})`;

  /**
   * Runs one operation: its statements, the table's creation on first use and the clock
   * offset (each statement waits at most `timeout`); every failure becomes a BACKEND_ERROR.
   * `deadline` (epoch ms) is when the operation's first try began plus `timeout`: its retries
   * share it.
   */
  function run<T>(
    operation: string,
    body: (statements: Statements, connection: SqlConnection) => Promise<T>,
    attempt = 1,
    deadline = Date.now() + timeoutMs,
  ): Promise<T> {
    if (closed)
      return Promise.reject(
        new MemoirError('BACKEND_ERROR', `Cache "${cache}": the SQL core is closed.`),
      );
    if (badName) return Promise.reject(badName);
    const current = connection();
    let work: Promise<T>;
    try {
      const ready = current.statements(table);
      work =
        ready instanceof Promise
          ? ready.then((statements) => body(statements, current))
          : body(ready, current);
    } catch (error) {
      work = Promise.reject(error);
    }
    return work.catch((error: unknown) =>
      retryOrFail(error, current, operation, attempt, deadline, (next) =>
        run(operation, body, next, deadline),
      ),
    );
  }

  /**
   * Every operation is safe to repeat (the same owner re-enters its own mark; a repeated fenced
   * write finds its mark already cleared): after a lost connection it is tried again, up to
   * three times in all. A server that drops one connection (a restart, a kill) has usually
   * dropped the pool's others too, whose notices may still sit unread in their sockets: each
   * try waits one turn of the event loop first, so the pool hears of them and does not hand
   * one of them out again.
   *
   * The tries share one `timeout`, counted from the first one's start (`deadline`): a retry
   * gets only what is left of it, so no caller waits longer than `timeout` for a server that
   * keeps dropping connections, and a timeout is never retried (faults.ts).
   */
  function retryOrFail<T>(
    error: unknown,
    current: SqlConnection,
    operation: string,
    attempt: number,
    deadline: number,
    again: (attempt: number) => Promise<T>,
  ): Promise<T> {
    const left = deadline - Date.now();
    if (
      attempt < ATTEMPTS_AFTER_LOST_CONNECTIONS &&
      left > 0 &&
      !closed &&
      isLostConnection(error)
    ) {
      const retried = new Promise((resolve) => setImmediate(resolve)).then(() =>
        again(attempt + 1),
      );
      return withTimeout(retried, left, () => 'a retry after a lost connection').catch(
        (failure: unknown) => {
          throw backendError(cache, operation, where(current), failure);
        },
      );
    }
    throw backendError(cache, operation, where(current), error);
  }

  /**
   * The row as an entry on the caller's clock. An unreadable value is reported once per key
   * per core, not on every read, and leaves only the row's mark.
   */
  function decoded(
    key: string,
    row: StoredRow,
    markShift: number,
    wallOffset: number,
    current: SqlConnection,
  ): Entry | Unreadable {
    const result = decodeRow(row, { markShift, wallOffset }, serializer);
    if (result instanceof Unreadable && !reportedKeys.has(key)) {
      reportedKeys.add(key);
      const location = where(current);
      spec.report({
        type: 'corrupt-entry',
        message: `Cache "${cache}": the entry for key ${JSON.stringify(key)} in ${location} is unreadable (${result.reason}); treating it as a miss.`,
        location,
        error: result.error,
      });
    }
    return result;
  }

  /** A read's entry; an unreadable one is a miss. */
  function entryOf(
    key: string,
    read: Read,
    wallOffset: number,
    current: SqlConnection,
  ): Entry | undefined {
    const { row } = read;
    if (!row) return undefined;
    // Marks are rare on a hit: the caller's clock is read only when there is one.
    const markShift = row.owner === null ? 0 : clock() - read.dbNow;
    const result = decoded(key, row, markShift, wallOffset, current);
    return result instanceof Unreadable ? undefined : result;
  }

  function get(key: string): Promise<Entry | undefined> {
    try {
      checkKey(cache, key);
    } catch (error) {
      return Promise.reject(error);
    }
    const stored = toStored(key);
    // A hit, once the table and the clock offset are known: the statement's promise and one
    // handler for its outcome, nothing else.
    // (The offset is asked for only once the table is there: a measurement started earlier
    // would fail unobserved while the table's creation fails first.)
    const deadline = Date.now() + timeoutMs;
    const current = closed || badName ? undefined : connection();
    const statements = current?.statements(table);
    if (current && statements && !(statements instanceof Promise)) {
      const offset = current.clockOffset();
      if (typeof offset === 'number') {
        return statements.get(func, stored).then(
          (found) => entryOf(key, found, offset, current),
          (error: unknown) =>
            retryOrFail(error, current, 'get', 1, deadline, (next) =>
              readThrough(key, stored, next, deadline),
            ),
        );
      }
    }
    return readThrough(key, stored, 1, deadline);
  }

  /** `get` by the whole way: the table created and the clock offset measured if need be. */
  function readThrough(
    key: string,
    stored: string,
    attempt: number,
    deadline: number,
  ): Promise<Entry | undefined> {
    return run(
      'get',
      async (statements, current) => {
        const [found, wallOffset] = await Promise.all([
          statements.get(func, stored),
          current.clockOffset(),
        ]);
        return entryOf(key, found, wallOffset, current);
      },
      attempt,
      deadline,
    );
  }

  /**
   * The engine's hit path on SQLite: the read runs synchronously in this process, so a hit
   * needs no promise of its own. Anything that would wait (the table not created yet, a lock,
   * a failure, a key too long) is left to `get`, which meets it again.
   */
  function peek(key: string): Entry | undefined | typeof WOULD_WAIT {
    if (closed || badName !== undefined) return WOULD_WAIT;
    const current = connection();
    const statements = current.statements(table);
    const offset = current.clockOffset();
    if (statements instanceof Promise || !statements.readNow || typeof offset !== 'number')
      return WOULD_WAIT;
    try {
      checkKey(cache, key);
      return entryOf(key, statements.readNow(func, toStored(key)), offset, current);
    } catch {
      return WOULD_WAIT;
    }
  }

  async function acquire(key: string, claim: Claim): Promise<AcquireOutcome> {
    checkKey(cache, key);
    const stored = toStored(key);
    // The server measures the lease from its own now: only its length comes from the caller.
    const leaseMs = Math.max(1, Math.ceil(claim.leaseUntil - claim.now));
    return run('acquire', async (statements, current) => {
      for (let attempt = 1; ; attempt++) {
        const outcome = await statements.acquire(func, stored, claim.owner, leaseMs);
        if (outcome.row) {
          const wallOffset = await current.clockOffset();
          const result = decoded(key, outcome.row, claim.now - outcome.dbNow, wallOffset, current);
          const entry = result instanceof Unreadable ? result.entry : result;
          return { acquired: outcome.acquired, entry };
        }
        if (outcome.acquired) {
          // Ours, then removed at once (a clear): computing and writing is still right.
          const mark = { owner: claim.owner, since: claim.now, leaseUntil: claim.now + leaseMs };
          return { acquired: true, entry: { time: claim.now, completed: false, processing: mark } };
        }
        // Refused, then the holder's row vanished (released, deleted) before we read it: again.
        if (attempt >= ATTEMPTS_WHEN_ENTRY_VANISHES) {
          throw new Error(`the entry kept changing during ${attempt} acquire attempts`);
        }
      }
    });
  }

  async function release(key: string, owner: string): Promise<void> {
    checkKey(cache, key);
    const stored = toStored(key);
    await run('release', (statements) => statements.release(func, stored, owner));
  }

  async function write(key: string, value: unknown, options: WriteOptions): Promise<WriteResult> {
    checkKey(cache, key);
    const bytes = serializeFor(cache, value, serializer);
    if (options.sizeLimit !== undefined && bytes.length > options.sizeLimit) {
      if (options.owner !== undefined) await release(key, options.owner);
      return false;
    }
    const stored = toStored(key);
    return run('write', async (statements, current) => {
      const storedAt = Math.round(options.time + (await current.clockOffset()));
      const written = await statements.write(
        func,
        stored,
        bytes,
        storedAt,
        options.owner ?? null,
        options.promised === true,
      );
      // A mark that is gone (invalidated, cleared, taken over) keeps this stale result out.
      return written ? true : 'fenced';
    });
  }

  /** Repeats a batched delete until a batch comes back short. */
  async function inBatches(batch: () => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const removed = await batch();
      total += removed;
      if (removed < DELETE_BATCH) return total;
    }
  }

  const core: Core = {
    name: cache,
    get,
    acquire,
    async renew(key, claim) {
      checkKey(cache, key);
      const stored = toStored(key);
      const leaseMs = Math.max(1, Math.ceil(claim.leaseUntil - claim.now));
      return run('renew', (statements) => statements.renew(func, stored, claim.owner, leaseMs));
    },
    release,
    write,
    async delete(key) {
      checkKey(cache, key);
      const stored = toStored(key);
      await run('delete', (statements) => statements.delete(func, stored));
    },
    async clear() {
      await run('clear', (statements) =>
        inBatches(() => statements.deleteBatch(func, DELETE_BATCH)),
      );
    },
    async clearBeingCalculated() {
      await run('clearBeingCalculated', (statements) => statements.clearMarks(func));
    },
    async deleteStale(before) {
      return run('deleteStale', async (statements, current) => {
        const threshold = Math.round(before + (await current.clockOffset()));
        return inBatches(() => statements.deleteStaleBatch(func, threshold, DELETE_BATCH));
      });
    },
    async keys() {
      return run('keys', async (statements) => (await statements.keys(func)).map(fromStored));
    },
    async close() {
      closed = true;
      await lease?.release();
    },
  };
  // Only SQLite reads in this process, so only there can a hit skip the promise.
  if (settings.source.engine === 'sqlite') core.peek = peek;
  // Only PostgreSQL notifies; without waitForChange the engine polls with backoff.
  if (settings.source.engine === 'postgres') {
    core.waitForChange = (key, maxMs) =>
      (!closed && connection().waitForChange?.(table, func, toStored(key), maxMs)) ||
      Promise.resolve();
  }
  return core;
}
