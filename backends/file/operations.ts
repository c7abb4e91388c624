import type { Claim, Entry, StoreOperations, WriteOptions } from '../../lib/contract';
import { MemoirError } from '../../lib/errors';
import { serializeFor } from '../../lib/contract';
import { appendAsync, appendSync, type Change, changeId } from './append';
import { isFsError } from './faults';
import type { StoredRecord } from './format';
import { type Layout, listDataFiles, listDataFilesSync } from './layout';
import { type AcquireResult, acquireOutcome, toEntry } from './records';
import { resetAsync, resetSync } from './replace';
import type { StoreContext } from './store';

export interface OperationsContext extends StoreContext {
  name: string;
  layout: Layout;
}

/**
 * What an operation returns when the disk fails it (non-strict): the cache behaves as if the
 * entry were absent, and a caller that cannot mark a key still gets to compute it.
 */
const fallback = {
  acquire: (claim: Claim) => ({
    acquired: true,
    entry: {
      time: claim.now,
      completed: false,
      processing: { owner: claim.owner, since: claim.now, leaseUntil: claim.leaseUntil },
    } satisfies Entry,
  }),
};

/** Reports an fs failure and returns the fallback; anything else (strict faults, bugs) throws. */
function recover<R>(context: OperationsContext, error: unknown, operation: string, file: string, value: R): R {
  if (error instanceof MemoirError || !isFsError(error)) throw error;
  // Reported against the data file (not a temp or lock path), so one fault is one report.
  context.faults.io(file, operation, error);
  return value;
}

function keysOf(context: OperationsContext, file: string, records: Map<string, StoredRecord>): string[] {
  const keys: string[] = [];
  for (const key of records.keys()) if (context.layout.holds(file, key)) keys.push(key);
  return keys;
}

/**
 * Periodic cleanup skips files with nothing to drop instead of appending a no-op frame to
 * each. (Entries that go stale between this look and the next cleanup wait for that one.)
 */
function holdsStale(records: Map<string, StoredRecord>, before: number): boolean {
  for (const record of records.values()) if (record.completed && record.time < before) return true;
  return false;
}

/** The change each operation appends (ids are fresh per call). */
const changes = {
  acquire: (key: string, claim: Claim): Change => ({ op: 'acquire', id: changeId(), key, ...claim }),
  renew: (key: string, claim: Claim): Change => ({ op: 'renew', id: changeId(), key, ...claim }),
  release: (key: string, owner: string | undefined): Change => ({ op: 'release', id: changeId(), key, owner: owner ?? null }),
  write: (key: string, bytes: Uint8Array, options: WriteOptions): Change => ({
    op: 'write',
    id: changeId(),
    key,
    bytes,
    time: options.time,
    owner: options.owner ?? null,
    ...(options.promised ? { promised: true } : {}),
  }),
  delete: (key: string): Change => ({ op: 'delete', id: changeId(), key }),
  dropMarks: (): Change => ({ op: 'dropMarks', id: changeId() }),
  dropStale: (before: number): Change => ({ op: 'dropStale', id: changeId(), before }),
};

export function syncOperations(context: OperationsContext): StoreOperations<'sync'> {
  const { layout, reader, dir } = context;

  const change = <R>(file: string, operation: string, made: Change, otherwise: R): R => {
    try {
      return appendSync(context, file, made) as R;
    } catch (error) {
      return recover(context, error, operation, file, otherwise);
    }
  };

  const files = (operation: string): string[] => {
    try {
      return listDataFilesSync(dir, layout);
    } catch (error) {
      return recover(context, error, operation, dir, []);
    }
  };

  return {
    get(key) {
      const record = reader.loadSync(layout.fileFor(key)).records.get(key);
      return record && toEntry(record);
    },
    acquire(key, claim) {
      const result = change<AcquireResult | undefined>(layout.fileFor(key), 'mark', changes.acquire(key, claim), undefined);
      return result ? acquireOutcome(result) : fallback.acquire(claim);
    },
    renew: (key, claim) => change(layout.fileFor(key), 'renew', changes.renew(key, claim), true),
    release: (key, owner) => change(layout.fileFor(key), 'release', changes.release(key, owner), undefined),
    write(key, value, options) {
      const file = layout.fileFor(key);
      const bytes = serializeFor(context.name, value);
      if (options.sizeLimit !== undefined && bytes.length > options.sizeLimit) {
        change(file, 'release', changes.release(key, options.owner), undefined);
        return false;
      }
      // A failure was reported as a fault; `false` would claim a sizeLimit rejection.
      const written = change(file, 'write', changes.write(key, bytes, options), true);
      context.leftovers?.afterWrite();
      return written;
    },
    delete: (key) => change(layout.fileFor(key), 'delete from', changes.delete(key), undefined),
    clear() {
      void context.leftovers?.sweep();
      for (const file of files('clear')) {
        try {
          resetSync(context, file);
        } catch (error) {
          recover(context, error, 'clear', file, undefined);
        }
      }
    },
    clearBeingCalculated() {
      for (const file of files('clear marks in')) change(file, 'clear marks in', changes.dropMarks(), 0);
    },
    deleteStale(before) {
      void context.leftovers?.sweep();
      let removed = 0;
      for (const file of files('clean up')) {
        if (holdsStale(reader.loadSync(file).records, before)) removed += change(file, 'clean up', changes.dropStale(before), 0);
      }
      return removed;
    },
    keys() {
      return files('list').flatMap((file) => keysOf(context, file, reader.loadSync(file).records));
    },
  };
}

export function asyncOperations(context: OperationsContext): StoreOperations<'async'> {
  const { layout, reader, dir } = context;

  const change = async <R>(file: string, operation: string, made: Change, otherwise: R): Promise<R> => {
    try {
      return (await appendAsync(context, file, made)) as R;
    } catch (error) {
      return recover(context, error, operation, file, otherwise);
    }
  };

  const files = async (operation: string): Promise<string[]> => {
    try {
      return await listDataFiles(dir, layout);
    } catch (error) {
      return recover(context, error, operation, dir, []);
    }
  };

  return {
    async get(key) {
      const record = (await reader.loadAsync(layout.fileFor(key))).records.get(key);
      return record && toEntry(record);
    },
    async acquire(key, claim) {
      const result = await change<AcquireResult | undefined>(layout.fileFor(key), 'mark', changes.acquire(key, claim), undefined);
      return result ? acquireOutcome(result) : fallback.acquire(claim);
    },
    renew: (key, claim) => change(layout.fileFor(key), 'renew', changes.renew(key, claim), true),
    release: (key, owner) => change(layout.fileFor(key), 'release', changes.release(key, owner), undefined),
    async write(key, value, options) {
      const file = layout.fileFor(key);
      const bytes = serializeFor(context.name, value);
      if (options.sizeLimit !== undefined && bytes.length > options.sizeLimit) {
        await change(file, 'release', changes.release(key, options.owner), undefined);
        return false;
      }
      const written = await change(file, 'write', changes.write(key, bytes, options), true);
      context.leftovers?.afterWrite();
      return written;
    },
    delete: (key) => change(layout.fileFor(key), 'delete from', changes.delete(key), undefined),
    async clear() {
      void context.leftovers?.sweep();
      for (const file of await files('clear')) {
        try {
          await resetAsync(context, file);
        } catch (error) {
          recover(context, error, 'clear', file, undefined);
        }
      }
    },
    async clearBeingCalculated() {
      for (const file of await files('clear marks in')) await change(file, 'clear marks in', changes.dropMarks(), 0);
    },
    async deleteStale(before) {
      void context.leftovers?.sweep();
      let removed = 0;
      for (const file of await files('clean up')) {
        if (!holdsStale((await reader.loadAsync(file)).records, before)) continue;
        removed += await change(file, 'clean up', changes.dropStale(before), 0);
      }
      return removed;
    },
    async keys() {
      const keys: string[] = [];
      for (const file of await files('list')) keys.push(...keysOf(context, file, (await reader.loadAsync(file)).records));
      return keys;
    },
  };
}
