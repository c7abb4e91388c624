import type { Claim, Entry, StoreOperations } from '../../lib/core';
import { MemoirError } from '../../lib/errors';
import { serializeFor } from '../../lib/serialize';
import { type CommitContext, type Mutation, mutateAsync, mutateSync } from './commit';
import { isFsError } from './faults';
import type { StoredRecord } from './format';
import { type Layout, listDataFiles, listDataFilesSync } from './layout';
import * as change from './records';

export interface OperationsContext extends CommitContext {
  name: string;
  layout: Layout;
}

/**
 * What an operation returns when the disk fails it (non-strict): the cache behaves as if the
 * entry were absent, and a caller that cannot mark a key still gets to compute it.
 */
const fallback = {
  get: () => undefined,
  acquire: (claim: Claim) => ({
    acquired: true,
    entry: {
      time: claim.now,
      completed: false,
      processing: { owner: claim.owner, since: claim.now, leaseUntil: claim.leaseUntil },
    } satisfies Entry,
  }),
  renew: () => true,
  nothing: () => undefined,
  // The failure was reported as a fault; `false` would claim a sizeLimit rejection.
  write: () => true,
  count: () => 0,
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

export function syncOperations(context: OperationsContext): StoreOperations<'sync'> {
  const { layout, reader, dir } = context;

  const mutate = <R>(file: string, operation: string, mutation: Mutation<R>, otherwise: R): R => {
    try {
      return mutateSync(context, file, mutation);
    } catch (error) {
      return recover(context, error, operation, file, otherwise);
    }
  };

  const eachFile = <R>(operation: string, mutation: Mutation<R>, otherwise: R): R[] => {
    let files: string[];
    try {
      files = listDataFilesSync(dir, layout);
    } catch (error) {
      return recover(context, error, operation, dir, []);
    }
    return files.map((file) => mutate(file, operation, mutation, otherwise));
  };

  return {
    get(key) {
      const record = reader.loadSync(layout.fileFor(key)).records.get(key);
      return record && change.toEntry(record);
    },
    acquire(key, claim) {
      const file = layout.fileFor(key);
      const result = mutate(file, 'mark', change.acquire(key, claim), undefined);
      return result ? change.acquireOutcome(result) : fallback.acquire(claim);
    },
    renew: (key, claim) => mutate(layout.fileFor(key), 'renew', change.renew(key, claim), true),
    release: (key, owner) => mutate(layout.fileFor(key), 'release', change.release(key, owner), undefined),
    write(key, value, options) {
      const file = layout.fileFor(key);
      const bytes = serializeFor(context.name, value);
      if (options.sizeLimit !== undefined && bytes.length > options.sizeLimit) {
        mutate(file, 'release', change.release(key, options.owner), undefined);
        return false;
      }
      return mutate(file, 'write', change.write(key, bytes, options.time, options.owner), fallback.write());
    },
    delete: (key) => mutate(layout.fileFor(key), 'delete from', change.remove(key), undefined),
    clear() {
      eachFile('clear', change.removeAll, undefined);
    },
    clearBeingCalculated() {
      eachFile('clear marks in', change.dropMarks, undefined);
    },
    deleteStale: (before) =>
      eachFile('clean up', change.dropStale(before), 0).reduce((sum, n) => sum + n, 0),
    keys() {
      let files: string[];
      try {
        files = listDataFilesSync(dir, layout);
      } catch (error) {
        return recover(context, error, 'list', dir, []);
      }
      return files.flatMap((file) => keysOf(context, file, reader.loadSync(file).records));
    },
  };
}

export function asyncOperations(context: OperationsContext): StoreOperations<'async'> {
  const { layout, reader, dir } = context;

  const mutate = async <R>(file: string, operation: string, mutation: Mutation<R>, otherwise: R) => {
    try {
      return await mutateAsync(context, file, mutation);
    } catch (error) {
      return recover(context, error, operation, file, otherwise);
    }
  };

  const eachFile = async <R>(operation: string, mutation: Mutation<R>, otherwise: R): Promise<R[]> => {
    let files: string[];
    try {
      files = await listDataFiles(dir, layout);
    } catch (error) {
      return recover(context, error, operation, dir, []);
    }
    const results: R[] = [];
    for (const file of files) results.push(await mutate(file, operation, mutation, otherwise));
    return results;
  };

  return {
    async get(key) {
      const record = (await reader.loadAsync(layout.fileFor(key))).records.get(key);
      return record && change.toEntry(record);
    },
    async acquire(key, claim) {
      const file = layout.fileFor(key);
      const result = await mutate(file, 'mark', change.acquire(key, claim), undefined);
      return result ? change.acquireOutcome(result) : fallback.acquire(claim);
    },
    renew: (key, claim) => mutate(layout.fileFor(key), 'renew', change.renew(key, claim), true),
    release: (key, owner) => mutate(layout.fileFor(key), 'release', change.release(key, owner), undefined),
    async write(key, value, options) {
      const file = layout.fileFor(key);
      const bytes = serializeFor(context.name, value);
      if (options.sizeLimit !== undefined && bytes.length > options.sizeLimit) {
        await mutate(file, 'release', change.release(key, options.owner), undefined);
        return false;
      }
      return mutate(file, 'write', change.write(key, bytes, options.time, options.owner), fallback.write());
    },
    delete: (key) => mutate(layout.fileFor(key), 'delete from', change.remove(key), undefined),
    async clear() {
      await eachFile('clear', change.removeAll, undefined);
    },
    async clearBeingCalculated() {
      await eachFile('clear marks in', change.dropMarks, undefined);
    },
    deleteStale: async (before) =>
      (await eachFile('clean up', change.dropStale(before), 0)).reduce((sum, n) => sum + n, 0),
    async keys() {
      let files: string[];
      try {
        files = await listDataFiles(dir, layout);
      } catch (error) {
        return recover(context, error, 'list', dir, []);
      }
      const keys: string[] = [];
      for (const file of files) keys.push(...keysOf(context, file, (await reader.loadAsync(file)).records));
      return keys;
    },
  };
}
