import type { Claim, Entry, StoreOperations, WriteOptions } from '../../lib/contract';
import { MemoirError } from '../../lib/errors';
import { append, type Change, changeId } from './append';
import { isFsError } from './faults';
import type { FileIndex, RecordMap } from './file-index';
import { type FileFlow, runAsync, runSync } from './io';
import { type Layout, listDataFiles } from './layout';
import { currentIndex, load } from './reader';
import { type AcquireResult, acquireOutcome, serializedValue, toEntry } from './records';
import { reset } from './replace';
import type { StoreContext } from './store';

/**
 * The ten operations of the core contract, written once as flows (io.ts) and driven by
 * `runSync` for `core.sync` and by `runAsync` for the core's async members: the two flavours
 * cannot drift apart. `get` first tries the hit path, which needs no flow: one fstat of the file
 * this process holds open, a Map lookup, and the value's deserialization (reader.ts).
 */
export interface OperationsContext extends StoreContext {
  name: string;
  layout: Layout;
}

type SyncOperations = StoreOperations<'sync'>;
type OperationFlows = {
  [K in keyof SyncOperations]: (...args: Parameters<SyncOperations[K]>) => FileFlow<ReturnType<SyncOperations[K]>>;
};

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

function keysOf(context: OperationsContext, file: string, records: RecordMap): string[] {
  const keys: string[] = [];
  for (const key of records.keys()) if (context.layout.holds(file, key)) keys.push(key);
  return keys;
}

/**
 * Periodic cleanup skips files with nothing to drop instead of appending a no-op frame to
 * each. (Entries that go stale between this look and the next cleanup wait for that one.)
 */
function holdsStale(records: RecordMap, before: number): boolean {
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

function entryOf(index: FileIndex, key: string): Entry | undefined {
  const record = index.records.get(key);
  return record === undefined ? undefined : toEntry(record);
}

export function operationFlows(context: OperationsContext): OperationFlows {
  const { layout, dir } = context;

  function* change<R>(file: string, operation: string, made: Change, otherwise: R): FileFlow<R> {
    try {
      return (yield* append(context, file, made)) as R;
    } catch (error) {
      return recover(context, error, operation, file, otherwise);
    }
  }

  function* files(operation: string): FileFlow<string[]> {
    try {
      return yield* listDataFiles(dir, layout);
    } catch (error) {
      return recover(context, error, operation, dir, []);
    }
  }

  return {
    *get(key) {
      return entryOf(yield* load(context, layout.fileFor(key)), key);
    },
    *acquire(key, claim) {
      const result = yield* change<AcquireResult | undefined>(layout.fileFor(key), 'mark', changes.acquire(key, claim), undefined);
      return result ? acquireOutcome(result) : fallback.acquire(claim);
    },
    renew: (key, claim) => change(layout.fileFor(key), 'renew', changes.renew(key, claim), true),
    release: (key, owner) => change(layout.fileFor(key), 'release', changes.release(key, owner), undefined),
    *write(key, value, options) {
      const file = layout.fileFor(key);
      const bytes = serializedValue(context.name, value);
      if (options.sizeLimit !== undefined && bytes.length > options.sizeLimit) {
        yield* change(file, 'release', changes.release(key, options.owner), undefined);
        return false;
      }
      // A failure was reported as a fault; `false` would claim a sizeLimit rejection.
      const written = yield* change(file, 'write', changes.write(key, bytes, options), true);
      context.leftovers?.afterWrite();
      return written;
    },
    delete: (key) => change(layout.fileFor(key), 'delete from', changes.delete(key), undefined),
    *clear() {
      void context.leftovers?.sweep();
      for (const file of yield* files('clear')) {
        try {
          yield* reset(context, file);
        } catch (error) {
          recover(context, error, 'clear', file, undefined);
        }
      }
    },
    *clearBeingCalculated() {
      for (const file of yield* files('clear marks in')) yield* change(file, 'clear marks in', changes.dropMarks(), 0);
    },
    *deleteStale(before) {
      void context.leftovers?.sweep();
      let removed = 0;
      for (const file of yield* files('clean up')) {
        if (holdsStale((yield* load(context, file)).records, before)) removed += yield* change(file, 'clean up', changes.dropStale(before), 0);
      }
      return removed;
    },
    *keys() {
      const keys: string[] = [];
      for (const file of yield* files('list')) keys.push(...keysOf(context, file, (yield* load(context, file)).records));
      return keys;
    },
  };
}

const NAMES = ['get', 'acquire', 'renew', 'release', 'write', 'delete', 'clear', 'clearBeingCalculated', 'deleteStale', 'keys'] as const;

/** The operations, each its flow run by `run`. */
function driven(flows: OperationFlows, run: (flow: FileFlow<unknown>) => unknown): Record<(typeof NAMES)[number], (...args: never[]) => unknown> {
  const operations = {} as Record<(typeof NAMES)[number], (...args: never[]) => unknown>;
  for (const name of NAMES) {
    const flow = flows[name] as (...args: unknown[]) => FileFlow<unknown>;
    operations[name] = (...args: unknown[]) => run(flow(...args));
  }
  return operations;
}

export function syncOperations(context: OperationsContext, flows = operationFlows(context)): SyncOperations {
  const { layout } = context;
  return {
    ...(driven(flows, runSync) as unknown as SyncOperations),
    get(key) {
      const file = layout.fileFor(key);
      return entryOf(currentIndex(context, file) ?? runSync(load(context, file)), key);
    },
  };
}

export function asyncOperations(context: OperationsContext, flows = operationFlows(context)): StoreOperations<'async'> {
  const { layout } = context;
  return {
    ...(driven(flows, runAsync) as unknown as StoreOperations<'async'>),
    async get(key) {
      const file = layout.fileFor(key);
      return entryOf(currentIndex(context, file) ?? (await runAsync(load(context, file))), key);
    },
  };
}
