import {
  type CacheSummary,
  type Catalog,
  type EntryInfo,
  emptySummary,
  type ProgressListener,
  v8Serializer,
  withServerErrors,
  precacheThroughCore,
} from '../../lib/contract';
import { MemoirError } from '../../lib/errors';
import { createSqlCore } from './core';
import { markOf } from './entries';
import { leaseConnection } from './registry';
import { parseSource } from './source';
import { type CatalogRow, DELETE_BATCH, type Statements } from './statements';
import { fromStored, toStored } from './stored-text';
import { tableName } from './table-name';

export interface SqlCatalogOptions {
  /** The `--sql` URL. */
  url: string;
  /** The `--table`, default memoir_entries. */
  table?: string;
  /** Longest wait for one statement; the CLI keeps it short. */
  timeoutMs: number;
}

/**
 * The caches of one SQL table, for the CLI: every distinct function name is a cache. It reads
 * through the same dialect as the core; times are shown on this machine's clock (entry times
 * shifted by the measured offset, marks judged live by the database's own now).
 */
export function openSqlCatalog(options: SqlCatalogOptions): Catalog {
  const source = parseSource(options.url);
  const table = tableName(options.table ?? undefined);
  const lease = leaseConnection(source, options.timeoutMs);
  const { connection } = lease;
  const location = `${connection.location} table ${table.name}`;

  async function statements(): Promise<Statements> {
    try {
      return await bounded(Promise.resolve(connection.statements(table)));
    } catch (error) {
      throw new MemoirError(
        'BACKEND_ERROR',
        `Cannot reach ${connection.location}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** The CLI runs on memoir's own connection; a silent server must not hang a terminal. */
  function bounded<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
    });
    return Promise.race([work, expired]).finally(() => clearTimeout(timer));
  }

  /** The stored name of an existing cache; UNKNOWN_CACHE (with the known ones) otherwise. */
  async function resolve(name: string): Promise<{ statements: Statements; func: string }> {
    const all = await statements();
    const func = toStored(name);
    const summaries = await bounded(all.summaries());
    if (summaries.some((summary) => summary.func === func)) return { statements: all, func };
    const known = summaries.map((summary) => fromStored(summary.func));
    const hint =
      known.length > 0 ? `known caches: ${known.slice(0, 20).join(', ')}` : 'it holds no caches';
    throw new MemoirError('UNKNOWN_CACHE', `No cache named "${name}" in ${location} (${hint}).`);
  }

  /** Database clock → this machine's, for entry times and for marks. */
  async function clocks(all: Statements, now: number) {
    const offset = await bounded(Promise.resolve(connection.clockOffset()));
    const dbNow = await bounded(all.now());
    return { offset, dbNow, markShift: now - dbNow };
  }

  async function repeat(
    batch: () => Promise<number>,
    total: number,
    progress?: ProgressListener,
  ): Promise<number> {
    let removed = 0;
    progress?.(0, Math.max(total, 1), 'entries');
    for (;;) {
      const count = await bounded(batch());
      removed += count;
      progress?.(Math.min(removed, total), Math.max(total, 1), 'entries');
      if (count < DELETE_BATCH) return removed;
    }
  }

  const catalog: Catalog = {
    location,

    async list(now) {
      const all = await statements();
      const { offset, dbNow, markShift } = await clocks(all, now);
      const byFunc = new Map<string, CacheSummary>();
      for (const summary of await bounded(all.summaries())) {
        const name = fromStored(summary.func);
        const cache = emptySummary(name, location, 'sql');
        cache.entries = summary.entries;
        cache.completed = summary.completed;
        cache.bytes = summary.bytes;
        if (summary.oldest !== null) cache.oldest = summary.oldest - offset;
        if (summary.newest !== null) cache.newest = summary.newest - offset;
        byFunc.set(summary.func, cache);
      }
      for (const row of await bounded(all.marks())) {
        const cache = byFunc.get(row.func);
        const mark = markOf(row, markShift);
        if (!cache || !mark) continue;
        // Live on the database's clock, the one that decides a takeover.
        if (row.leaseUntil !== null && row.leaseUntil > dbNow)
          cache.liveMarks.push({ key: fromStored(row.key), ...mark });
        else cache.deadMarks++;
      }
      return [...byFunc.values()].sort((a, b) => a.name.localeCompare(b.name));
    },

    async entries(name, key) {
      const { statements: all, func } = await resolve(name);
      const { offset, markShift } = await clocks(all, Date.now());
      const rows = await bounded(all.rows(func, key === undefined ? undefined : toStored(key)));
      return rows.map((row) => entryInfo(row, offset, markShift));
    },

    async clear(name, progress) {
      const { statements: all, func } = await resolve(name);
      const total = (await bounded(all.summaries())).find((s) => s.func === func)?.entries ?? 0;
      return repeat(() => all.deleteBatch(func, DELETE_BATCH), total, progress);
    },

    async clearBeingCalculated(name, progress) {
      const { statements: all, func } = await resolve(name);
      progress?.(0, 1);
      const cleared = await bounded(all.clearMarks(func));
      progress?.(1, 1);
      return cleared;
    },

    async prune(name, before, progress) {
      const { statements: all, func } = await resolve(name);
      const offset = await bounded(Promise.resolve(connection.clockOffset()));
      const threshold = Math.round(before + offset);
      const total = (await bounded(all.summaries())).find((s) => s.func === func)?.completed ?? 0;
      return repeat(() => all.deleteStaleBatch(func, threshold, DELETE_BATCH), total, progress);
    },

    async precache(name, items, now) {
      await statements();
      const core = createSqlCore({
        name,
        options: { sql: options.url, table: table.name, timeout: options.timeoutMs },
        report: () => {},
      });
      return precacheThroughCore(core, items, now);
    },

    close: () => lease.release(),
  };
  return withServerErrors(catalog, 'SQL');
}

function entryInfo(row: CatalogRow, offset: number, markShift: number): EntryInfo {
  const processing = markOf(row, markShift);
  const bytes = row.value;
  return {
    key: fromStored(row.key),
    time: row.completed || !processing ? row.storedAt - offset : processing.since,
    completed: row.completed,
    size: row.size,
    ...(processing ? { processing } : {}),
    value: () => (bytes && row.completed ? v8Serializer.deserialize(bytes) : undefined),
  };
}
