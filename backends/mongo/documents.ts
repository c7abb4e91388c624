import type { Entry, Mark } from '../../lib/contract';
import type { Serializer } from '../../lib/contract';

/**
 * The stored shape of one entry:
 *   { func, key, value: Binary (v8 bytes), time, completed, promised, processing?: { owner, since, leaseUntil } }
 * Anything else found under our (func, key) — a foreign or damaged document — decodes as
 * "unreadable", which the core turns into a miss plus one report.
 */
export interface EntryDocument {
  func: string;
  key: string;
  value?: Uint8Array;
  time: number;
  completed: boolean;
  /** The function answered with a Promise when the value was computed. */
  promised?: boolean;
  processing?: Mark;
}

/**
 * Every user-supplied value in a filter goes through `$eq`, so a key such as
 * `{ $ne: null }` coming from hashFunc can never act as an operator.
 */
export function entryFilter(
  func: string,
  key: string,
): { func: { $eq: string }; key: { $eq: string } } {
  return { func: { $eq: func }, key: { $eq: key } };
}

export type Decoded =
  | { ok: true; entry: Entry }
  | { ok: false; reason: string; error?: unknown; mark?: Mark };

/** Numbers may arrive as JS numbers or, with non-default driver options, as BSON wrappers. */
function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const bson = value as {
    _bsontype?: string;
    toNumber?: () => number;
    valueOf?: () => unknown;
  } | null;
  if (bson?._bsontype === 'Long' && bson.toNumber) return bson.toNumber();
  if ((bson?._bsontype === 'Double' || bson?._bsontype === 'Int32') && bson.valueOf) {
    return asNumber(bson.valueOf());
  }
  return undefined;
}

/** The bytes of a BSON Binary (or of a Buffer, with `promoteBuffers`), without copying. */
function asBytes(value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const binary = value as { _bsontype?: string; buffer?: Uint8Array; position?: number } | null;
  if (binary?._bsontype === 'Binary' && binary.buffer instanceof Uint8Array) {
    const length = binary.position ?? binary.buffer.byteLength;
    return Buffer.from(binary.buffer.buffer, binary.buffer.byteOffset, length);
  }
  return undefined;
}

export function decodeMark(raw: unknown): Mark | undefined {
  const mark = raw as Record<string, unknown> | null | undefined;
  if (!mark || typeof mark !== 'object' || typeof mark.owner !== 'string') return undefined;
  const since = asNumber(mark.since);
  const leaseUntil = asNumber(mark.leaseUntil);
  if (since === undefined || leaseUntil === undefined) return undefined;
  return { owner: mark.owner, since, leaseUntil };
}

export function decodeEntry(doc: Record<string, unknown>, serializer: Serializer): Decoded {
  const hasMark = doc.processing !== undefined && doc.processing !== null;
  const mark = hasMark ? decodeMark(doc.processing) : undefined;
  if (hasMark && !mark) return { ok: false, reason: 'malformed "processing" mark' };
  const time = asNumber(doc.time);
  if (time === undefined) return { ok: false, reason: '"time" is not a number', mark };
  if (typeof doc.completed !== 'boolean')
    return { ok: false, reason: '"completed" is not a boolean', mark };

  const entry: Entry = { time, completed: doc.completed };
  if (mark) entry.processing = mark;
  if (!doc.completed) return { ok: true, entry };
  if (doc.promised === true) entry.promised = true;

  const bytes = asBytes(doc.value);
  if (!bytes) return { ok: false, reason: '"value" is not binary', mark };
  try {
    entry.value = serializer.deserialize(bytes);
  } catch (error) {
    return {
      ok: false,
      reason: `"value" cannot be deserialized (${(error as Error).message})`,
      error,
      mark,
    };
  }
  return { ok: true, entry };
}
