import * as v8 from 'node:v8';
import { type AcquireOutcome, type Claim, canAcquire, type Entry } from '../../lib/core';
import type { Mutation } from './commit';
import type { Records, StoredRecord } from './format';

/**
 * The contract's semantics as pure changes to one file's records. Each returns the result and,
 * only when something changed, a new record map (the current one is shared with readers and
 * never modified). The sync and async operations apply the same mutations.
 */

/** The engine's view of a record. The value is deserialized afresh: callers get their own copy. */
export function toEntry(record: StoredRecord): Entry {
  const entry: Entry = { time: record.time, completed: record.completed };
  if (record.completed) entry.value = record.bytes ? v8.deserialize(record.bytes) : undefined;
  if (record.mark) entry.processing = { ...record.mark };
  return entry;
}

function changed(records: Records, key: string, record: StoredRecord | undefined): Records {
  const next = new Map(records);
  if (record) next.set(key, record);
  else next.delete(key);
  return next;
}

/** Keeps a completed value without its mark; drops a bare placeholder. */
function withoutMark(record: StoredRecord): StoredRecord | undefined {
  return record.completed ? { time: record.time, completed: true, bytes: record.bytes } : undefined;
}

export const acquire =
  (key: string, claim: Claim): Mutation<{ acquired: boolean; record: StoredRecord }> =>
  (records) => {
    const current = records.get(key);
    if (current && !canAcquire(current.mark, claim)) {
      return { result: { acquired: false, record: current } };
    }
    const mark = { owner: claim.owner, since: claim.now, leaseUntil: claim.leaseUntil };
    const record = current
      ? { ...current, mark }
      : { time: claim.now, completed: false, mark };
    return { result: { acquired: true, record }, next: changed(records, key, record) };
  };

export function acquireOutcome(result: { acquired: boolean; record: StoredRecord }): AcquireOutcome {
  return { acquired: result.acquired, entry: toEntry(result.record) };
}

export const renew =
  (key: string, claim: Claim): Mutation<boolean> =>
  (records) => {
    const current = records.get(key);
    if (current?.mark?.owner !== claim.owner) return { result: false };
    const record = { ...current, mark: { ...current.mark, leaseUntil: claim.leaseUntil } };
    return { result: true, next: changed(records, key, record) };
  };

export const release =
  (key: string, owner: string | undefined): Mutation<void> =>
  (records) => {
    const current = records.get(key);
    if (owner === undefined || current?.mark?.owner !== owner) return { result: undefined };
    return { result: undefined, next: changed(records, key, withoutMark(current)) };
  };

export const write =
  (key: string, bytes: Uint8Array, time: number, owner: string | undefined): Mutation<boolean> =>
  (records) => {
    const current = records.get(key);
    const record: StoredRecord = { time, completed: true, bytes };
    // Someone else's mark stays: they are still calculating and will write after us.
    if (current?.mark && current.mark.owner !== owner) record.mark = current.mark;
    return { result: true, next: changed(records, key, record) };
  };

export const remove =
  (key: string): Mutation<void> =>
  (records) => ({
    result: undefined,
    next: records.has(key) ? changed(records, key, undefined) : undefined,
  });

/** Empties the file; a file that exists but could not be read is removed too. */
export const removeAll: Mutation<void> = (records, current) => ({
  result: undefined,
  next: records.size > 0 || current.identity !== 'none' ? new Map() : undefined,
});

export const dropMarks: Mutation<void> = (records) => {
  let next: Records | undefined;
  for (const [key, record] of records) {
    if (!record.mark) continue;
    next ??= new Map(records);
    const kept = withoutMark(record);
    if (kept) next.set(key, kept);
    else next.delete(key);
  }
  return { result: undefined, next };
};

export const dropStale =
  (before: number): Mutation<number> =>
  (records) => {
    let next: Records | undefined;
    let removed = 0;
    for (const [key, record] of records) {
      if (!record.completed || record.time >= before) continue;
      next ??= new Map(records);
      next.delete(key);
      removed++;
    }
    return { result: removed, next };
  };
