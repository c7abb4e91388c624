import type { Mark } from '../../contract';
import { describe } from '../../errors';

/**
 * One memoized entry as a key-value store holds it: the value (as its serializer wrote it),
 * when it was stored, whether the function answered with a Promise, which serializer wrote it,
 * and the being-calculated mark. One record per key, replaced whole by compare-and-set, so the
 * mark and the value change together (kv-core.ts).
 *
 * A store that keeps objects (memory) holds the record object itself, never mutated after it
 * was stored. Every other store holds bytes:
 *
 *   RECORD_MAGIC | header length (uint32 BE) | header (JSON) | value bytes
 *
 * with the header `{ c: 1 if completed, t: time, p: 1 if promised, s: serializer, k: kind of the
 * value bytes, m: [owner, since, leaseUntil] }`.
 */
export interface MemoRecord {
  completed: boolean;
  time: number;
  promised?: boolean;
  /** The serializer that wrote `value` (codec.ts tags). */
  tag: string;
  /** The stored form of the value (see StoredValueForm), present when completed. */
  value?: StoredValueForm;
  mark?: Mark;
}

/**
 * A value as a record keeps it: the serializer's output with whether it was a string, or for
 * serializer 'none' the value itself (kinds of record bytes: b/s serializer output as Buffer or
 * string; B, S, N, J, U a Buffer, string, number, JSON literal or undefined given as is).
 */
export type StoredValueForm = { kind: 'b' | 's' | 'B' | 'S' | 'N' | 'J' | 'U'; bytes: Buffer } | { kind: 'object'; value: unknown };

const RECORD_MAGIC = Buffer.from('\u0000memoir:memo\u0001', 'latin1');
const BRAND = 'memoir.memo/1';

interface Header {
  c?: 1;
  t: number;
  p?: 1;
  s: string;
  k?: string;
  m?: [string, number, number];
}

/** The record as a store holding objects keeps it. */
interface RecordObject {
  brand: typeof BRAND;
  record: MemoRecord;
}

export function toStored(record: MemoRecord, holdsObjects: boolean): unknown {
  if (holdsObjects) return Object.freeze({ brand: BRAND, record }) satisfies RecordObject;
  const header: Header = { t: record.time, s: record.tag };
  if (record.completed) header.c = 1;
  if (record.promised) header.p = 1;
  if (record.mark) header.m = [record.mark.owner, record.mark.since, record.mark.leaseUntil];
  let bytes: Buffer | undefined;
  if (record.value !== undefined) {
    if (record.value.kind === 'object') throw new Error('a byte store cannot hold a value as given');
    header.k = record.value.kind;
    bytes = record.value.bytes;
  }
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(head.length);
  return Buffer.concat(bytes ? [RECORD_MAGIC, length, head, bytes] : [RECORD_MAGIC, length, head]);
}

/** The record a store returned; throws a description when it is not one (another program's value, damage). */
export function fromStored(raw: unknown): MemoRecord {
  if (raw !== null && typeof raw === 'object' && (raw as RecordObject).brand === BRAND) return (raw as RecordObject).record;
  if (!Buffer.isBuffer(raw)) throw new Error(`the stored value is ${describe(raw)}, not a memoized entry`);
  if (raw.length < RECORD_MAGIC.length + 4 || raw.compare(RECORD_MAGIC, 0, RECORD_MAGIC.length, 0, RECORD_MAGIC.length) !== 0) {
    throw new Error('the stored bytes are not a memoized entry');
  }
  const headEnd = RECORD_MAGIC.length + 4 + raw.readUInt32BE(RECORD_MAGIC.length);
  if (headEnd > raw.length) throw new Error('the stored entry is cut short');
  const header = JSON.parse(raw.toString('utf8', RECORD_MAGIC.length + 4, headEnd)) as Header;
  if (typeof header?.t !== 'number' || typeof header.s !== 'string') throw new Error('the stored entry has no time or serializer');
  const record: MemoRecord = { completed: header.c === 1, time: header.t, tag: header.s };
  if (header.p === 1) record.promised = true;
  if (Array.isArray(header.m)) record.mark = { owner: String(header.m[0]), since: Number(header.m[1]), leaseUntil: Number(header.m[2]) };
  if (record.completed) record.value = { kind: (header.k ?? 'b') as 'b', bytes: raw.subarray(headEnd) };
  return record;
}
