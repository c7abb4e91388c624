import {
  type AcquireOutcome,
  type Claim,
  type Core,
  type CoreSpec,
  type Entry,
  serializeFor,
  type WriteOptions,
  type WriteResult,
} from '../../lib/contract';
import { MemoirError } from '../../lib/errors';
import type { SqlConnection } from './connection';
import { type Decoded, decodeRow } from './entries';
import { backendError, isLostConnection, within } from './faults';
import { type ConnectionLease, leaseConnection } from './registry';
import { checkKey, checkName, readSettings } from './settings';
import { DELETE_BATCH, type StoredRow, type Statements } from './statements';
import { fromStored, toStored } from './stored-text';

/**
 * The SQL core: one row per entry in a table many processes and machines share, over a
 * dialect of a dozen statements (statements.ts). Correctness rests on the (func, key) primary
 * key and on the database judging leases with its own clock inside the statement that takes
 * the mark. Async only: a sync function on this backend returns a Promise.
 *
 * Server errors reject with MemoirError 'BACKEND_ERROR' (a statement that does not answer
 * within `timeout` too); whether the call then fails or runs uncached is the engine's policy.
 */
const ATTEMPTS_WHEN_ENTRY_VANISHES = 3;

type Bounded = <R>(work: Promise<R>) => Promise<R>;

/** The clock offset: a plain number once measured (awaiting a number costs no round trip). */
function offsetOf(connection: SqlConnection, bounded: Bounded): number | Promise<number> {
  const offset = connection.clockOffset();
  return typeof offset === 'number' ? offset : bounded(offset);
}

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
   * offset each wait at most `timeout`; every failure becomes a BACKEND_ERROR.
   */
  async function run<T>(
    operation: string,
    body: (statements: Statements, bounded: Bounded, connection: SqlConnection) => Promise<T>,
  ): Promise<T> {
    if (closed) throw new MemoirError('BACKEND_ERROR', `Cache "${cache}": the SQL core is closed.`);
    if (badName) throw badName;
    const current = connection();
    // SQLite runs in-process and bounds its own lock waits; the network engines get a timer.
    const bounded: Bounded = current.inProcess
      ? (work) => work
      : (work) => within(timeoutMs, () => `${current.location}: ${operation}`, work);
    for (let attempt = 1; ; attempt++) {
      try {
        const ready = current.statements(table);
        const statements = ready instanceof Promise ? await bounded(ready) : ready;
        return await body(statements, bounded, current);
      } catch (error) {
        // Every operation is safe to repeat (the same owner re-enters its own mark; a repeated
        // fenced write finds its mark already cleared): one more try on a fresh connection.
        if (attempt === 1 && !closed && isLostConnection(error)) continue;
        throw backendError(cache, operation, where(current), error);
      }
    }
  }

  /** Unreadable values are a miss; each key is reported once per core, not on every read. */
  function decoded(
    key: string,
    row: StoredRow,
    markShift: number,
    wallOffset: number,
    connection: SqlConnection,
  ): Decoded {
    const result = decodeRow(row, { markShift, wallOffset }, serializer);
    if (!result.ok && !reportedKeys.has(key)) {
      reportedKeys.add(key);
      const location = where(connection);
      spec.report({
        type: 'corrupt-entry',
        message: `Cache "${cache}": the entry for key ${JSON.stringify(key)} in ${location} is unreadable (${result.reason}); treating it as a miss.`,
        location,
        error: result.error,
      });
    }
    return result;
  }

  async function get(key: string): Promise<Entry | undefined> {
    checkKey(cache, key);
    const stored = toStored(key);
    return run('get', async (statements, bounded, current) => {
      const { row, dbNow } = await bounded(statements.get(func, stored));
      if (!row) return undefined;
      const offset = offsetOf(current, bounded);
      const wallOffset = typeof offset === 'number' ? offset : await offset;
      const result = decoded(key, row, clock() - dbNow, wallOffset, current);
      return result.ok ? result.entry : undefined;
    });
  }

  async function acquire(key: string, claim: Claim): Promise<AcquireOutcome> {
    checkKey(cache, key);
    const stored = toStored(key);
    // The server measures the lease from its own now: only its length comes from the caller.
    const leaseMs = Math.max(1, Math.ceil(claim.leaseUntil - claim.now));
    return run('acquire', async (statements, bounded, current) => {
      for (let attempt = 1; ; attempt++) {
        const outcome = await bounded(statements.acquire(func, stored, claim.owner, leaseMs));
        if (outcome.row) {
          const offset = offsetOf(current, bounded);
          const wallOffset = typeof offset === 'number' ? offset : await offset;
          const { entry } = decoded(
            key,
            outcome.row,
            claim.now - outcome.dbNow,
            wallOffset,
            current,
          );
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
    await run('release', (statements, bounded) => bounded(statements.release(func, stored, owner)));
  }

  async function write(key: string, value: unknown, options: WriteOptions): Promise<WriteResult> {
    checkKey(cache, key);
    const bytes = serializeFor(cache, value, serializer);
    if (options.sizeLimit !== undefined && bytes.length > options.sizeLimit) {
      if (options.owner !== undefined) await release(key, options.owner);
      return false;
    }
    const stored = toStored(key);
    return run('write', async (statements, bounded, current) => {
      const storedAt = Math.round(options.time + (await offsetOf(current, bounded)));
      const written = await bounded(
        statements.write(
          func,
          stored,
          bytes,
          storedAt,
          options.owner ?? null,
          options.promised === true,
        ),
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
      return run('renew', (statements, bounded) =>
        bounded(statements.renew(func, stored, claim.owner, leaseMs)),
      );
    },
    release,
    write,
    async delete(key) {
      checkKey(cache, key);
      const stored = toStored(key);
      await run('delete', (statements, bounded) => bounded(statements.delete(func, stored)));
    },
    async clear() {
      await run('clear', (statements, bounded) =>
        inBatches(() => bounded(statements.deleteBatch(func, DELETE_BATCH))),
      );
    },
    async clearBeingCalculated() {
      await run('clearBeingCalculated', (statements, bounded) =>
        bounded(statements.clearMarks(func)),
      );
    },
    async deleteStale(before) {
      return run('deleteStale', async (statements, bounded, current) => {
        const threshold = Math.round(before + (await offsetOf(current, bounded)));
        return inBatches(() => bounded(statements.deleteStaleBatch(func, threshold, DELETE_BATCH)));
      });
    },
    async keys() {
      return run('keys', async (statements, bounded) =>
        (await bounded(statements.keys(func))).map(fromStored),
      );
    },
    async close() {
      closed = true;
      await lease?.release();
    },
  };
  // Only PostgreSQL notifies; without waitForChange the engine polls with backoff.
  if (settings.source.engine === 'postgres') {
    core.waitForChange = (key, maxMs) =>
      (!closed && connection().waitForChange?.(table, func, toStored(key), maxMs)) ||
      Promise.resolve();
  }
  return core;
}
