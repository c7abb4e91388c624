import { type AcquireOutcome, canAcquire, type Entry, serializeFor, v8Serializer } from '../../lib/contract';
import { type Op, type Records, recordsOf, type StoredRecord } from './format';
import { applyKv } from './kv-records';
import { encodeFlat } from './op-codec';

/**
 * The contract's semantics as changes to one file's records, applied in log order. Every
 * process replays the same frames through `applyOp`, so it must depend on nothing but the
 * records and the op (times come from the op, never from a clock here).
 *
 * `applyOp` changes `records` in place (the file's index, file-index.ts) but never a record:
 * a change puts a new record in its key's place, so a record handed out stays as it was.
 */

/**
 * The engine's view of a record. The value is deserialized afresh, into memory of its own (see
 * deserializeDetached): callers get their own copy, and writing into it never reaches the record.
 */
export function toEntry(record: StoredRecord): Entry {
  const entry: Entry = { time: record.time, completed: record.completed };
  if (record.completed) entry.value = callersValue(record);
  if (record.promised) entry.promised = true;
  if (record.mark) entry.processing = { ...record.mark };
  return entry;
}

/**
 * A record's value, for a caller to keep. Objects are deserialized for every caller: that copy is
 * what makes a hit private (writing into it never reaches the cache). A primitive (number,
 * string, boolean, bigint, null, undefined) cannot be written into, so the first decoding is
 * kept on the record and handed to every later caller: no copy is needed where none can differ.
 */
function callersValue(record: StoredRecord): unknown {
  if (record.plain !== undefined) return record.plain.value;
  if (!record.bytes) return undefined;
  const value = v8Serializer.deserialize(record.bytes as Buffer);
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) record.plain = { value };
  return value;
}

/**
 * A value serialized for a record this process keeps: by op-codec.ts when it is flat (a
 * primitive, or a plain object of primitives: the bytes v8 would read back as the same value,
 * at a fraction of the cost), else by node:v8. Small ones end up in Node's shared buffer pool:
 * each `v8.serialize` result has an ArrayBuffer of its own, and a million of those (a cache of
 * a million entries) cost the garbage collector more than all the rest of the records.
 */
export function serializedValue(cache: string, value: unknown): Buffer {
  const flat = encodeFlat(value, 0);
  if (flat !== undefined) return flat;
  const bytes = serializeFor(cache, value);
  if (bytes.length >= Buffer.poolSize >>> 1) return bytes;
  const pooled = Buffer.allocUnsafe(bytes.length);
  bytes.copy(pooled);
  return pooled;
}

/** Keeps a completed value without its mark; drops a bare placeholder. */
function withoutMark(records: Records, key: string, record: StoredRecord): void {
  if (record.completed) {
    const kept: StoredRecord = { time: record.time, completed: true, bytes: record.bytes };
    if (record.promised) kept.promised = true;
    records.set(key, kept);
  }
  else records.delete(key);
}

export interface AcquireResult {
  acquired: boolean;
  record: StoredRecord;
}

export function applyOp(records: Records, op: Op): unknown {
  switch (op.op) {
    case 'state': {
      records.clear();
      for (const [key, record] of recordsOf(op.records)) records.set(key, record);
      return undefined;
    }
    case 'acquire': {
      const current = records.get(op.key);
      const claim = { owner: op.owner, now: op.now, leaseUntil: op.leaseUntil };
      if (current && !canAcquire(current.mark, claim)) return { acquired: false, record: current };
      const mark = { owner: op.owner, since: op.now, leaseUntil: op.leaseUntil };
      const record = current ? { ...current, mark } : { time: op.now, completed: false, mark };
      records.set(op.key, record);
      return { acquired: true, record } satisfies AcquireResult;
    }
    case 'renew': {
      const current = records.get(op.key);
      if (current?.mark?.owner !== op.owner) return false;
      records.set(op.key, { ...current, mark: { ...current.mark, leaseUntil: op.leaseUntil } });
      return true;
    }
    case 'release': {
      const current = records.get(op.key);
      if (op.owner !== null && current?.mark?.owner === op.owner) withoutMark(records, op.key, current);
      return undefined;
    }
    case 'write': {
      const current = records.get(op.key);
      // Fenced: the writer's mark was cleared (an invalidation) or taken over since it was set.
      if (op.owner !== null && current?.mark?.owner !== op.owner) return 'fenced';
      const record: StoredRecord = { time: op.time, completed: true, bytes: op.bytes };
      if (op.promised === true) record.promised = true;
      // An unowned write (precache) leaves a calculator's mark alone: it will write after us.
      if (op.owner === null && current?.mark) record.mark = current.mark;
      records.set(op.key, record);
      return true;
    }
    case 'delete':
      records.delete(op.key);
      return undefined;
    case 'dropMarks': {
      let dropped = 0;
      for (const [key, record] of records) {
        if (!record.mark) continue;
        withoutMark(records, key, record);
        dropped++;
      }
      return dropped;
    }
    case 'dropStale': {
      let removed = 0;
      for (const [key, record] of records) {
        if (!record.completed || record.time >= op.before) continue;
        records.delete(key);
        removed++;
      }
      return removed;
    }
    case 'kv':
      return applyKv(records, op);
    case 'seal':
      return undefined;
  }
}

export function acquireOutcome(result: AcquireResult): AcquireOutcome {
  return { acquired: result.acquired, entry: toEntry(result.record) };
}
