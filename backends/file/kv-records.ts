import type { KvOp, Records, StoredRecord } from './format';

/**
 * Key-value cache records in the file log. A record's bytes are an envelope:
 *
 *   byte  0      tag: 1 bytes, 2 text (UTF-8), 3 number (float64 LE), 4 lock (owner, UTF-8)
 *   bytes 1-8    expiresAt, epoch ms as float64 LE (0: never)
 *   byte  9      version length L
 *   bytes 10..   version (latin1; the id of the change that wrote the value), then the payload
 *
 * `applyKv` runs each command at its place in the log, judged at the writer's `now`, so every
 * process replaying the log agrees on who won an add, what an increment returned and whether
 * a compare-and-set held. It reads no clock and depends on nothing but the records and the op.
 */
export const TAG_BYTES = 1;
export const TAG_TEXT = 2;
export const TAG_NUMBER = 3;
export const TAG_LOCK = 4;
const HEAD = 10;

export interface Envelope {
  tag: number;
  expiresAt: number;
  version: string;
  payload: Buffer;
}

export function encodeEnvelope(tag: number, expiresAt: number, version: string, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEAD + version.length + payload.length);
  out[0] = tag;
  out.writeDoubleLE(expiresAt, 1);
  out[9] = version.length;
  out.write(version, HEAD, 'latin1');
  payload.copy(out, HEAD + version.length);
  return out;
}

/** The envelope of a stored value (a value of any type the store keeps). */
export function envelopeOf(value: unknown, expiresAt: number, version: string): Buffer {
  if (Buffer.isBuffer(value)) return encodeEnvelope(TAG_BYTES, expiresAt, version, value);
  if (typeof value === 'string') return encodeEnvelope(TAG_TEXT, expiresAt, version, Buffer.from(value, 'utf8'));
  const number = Buffer.allocUnsafe(8);
  number.writeDoubleLE(value as number, 0);
  return encodeEnvelope(TAG_NUMBER, expiresAt, version, number);
}

export function decodeEnvelope(bytes: Uint8Array | undefined): Envelope | undefined {
  if (!bytes || bytes.length < HEAD) return undefined;
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = buffer[9];
  if (buffer.length < HEAD + length || buffer[0] < TAG_BYTES || buffer[0] > TAG_LOCK) return undefined;
  return {
    tag: buffer[0],
    expiresAt: buffer.readDoubleLE(1),
    version: buffer.toString('latin1', HEAD, HEAD + length),
    payload: buffer.subarray(HEAD + length),
  };
}

/** The value an envelope holds, as the store hands it to the cache. */
export function storedValue(envelope: Envelope): unknown {
  switch (envelope.tag) {
    case TAG_TEXT:
      return envelope.payload.toString('utf8');
    case TAG_NUMBER:
      return envelope.payload.readDoubleLE(0);
    default:
      return Buffer.from(envelope.payload); // a private copy: the snapshot's bytes stay intact
  }
}

export const isLive = (envelope: Envelope | undefined, now: number): envelope is Envelope =>
  envelope !== undefined && (envelope.expiresAt === 0 || envelope.expiresAt > now);

/** The live envelope of `key` at `now`. */
export function liveEnvelope(records: Records, key: string, now: number): Envelope | undefined {
  const envelope = decodeEnvelope(records.get(key)?.bytes);
  return isLive(envelope, now) ? envelope : undefined;
}

/** What an increment adds to: a raw number, or the digits of a safe integer. */
function integerOf(envelope: Envelope): number | undefined {
  if (envelope.tag === TAG_NUMBER) {
    const n = envelope.payload.readDoubleLE(0);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  if (envelope.tag === TAG_LOCK || envelope.payload.length === 0 || envelope.payload.length > 17) return undefined;
  const digits = envelope.payload.toString('latin1');
  if (!/^-?(0|[1-9]\d*)$/.test(digits)) return undefined;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Result of an increment that found no integer (the cache turns it into NOT_A_NUMBER). */
export const NOT_A_NUMBER = 'not-a-number';

function store(records: Records, key: string, now: number, bytes: Uint8Array): void {
  const record: StoredRecord = { time: now, completed: true, bytes };
  records.set(key, record);
}

function requireBytes(op: KvOp): Uint8Array {
  if (!(op.bytes instanceof Uint8Array)) throw new Error(`malformed kv ${op.cmd} change (bytes)`);
  return op.bytes;
}

export function applyKv(records: Records, op: KvOp): unknown {
  const { key, now } = op;
  switch (op.cmd) {
    case 'set':
      store(records, key, now, requireBytes(op));
      return true;
    case 'add':
      if (liveEnvelope(records, key, now)) return false;
      store(records, key, now, requireBytes(op));
      return true;
    case 'cas': {
      const current = liveEnvelope(records, key, now);
      if ((current?.version ?? null) !== op.arg) return null;
      store(records, key, now, requireBytes(op));
      return op.id;
    }
    case 'incr': {
      if (typeof op.arg !== 'number') throw new Error('malformed kv incr change (arg)');
      const current = liveEnvelope(records, key, now);
      const base = current ? integerOf(current) : 0;
      if (base === undefined || !Number.isSafeInteger(base + op.arg)) return NOT_A_NUMBER;
      const next = base + op.arg;
      store(records, key, now, envelopeOf(next, current?.expiresAt ?? 0, op.id));
      return next;
    }
    case 'expire': {
      if (typeof op.arg !== 'number') throw new Error('malformed kv expire change (arg)');
      const current = liveEnvelope(records, key, now);
      if (!current) return false;
      // The version stays: a new time to live is not a new value.
      store(records, key, now, encodeEnvelope(current.tag, op.arg, current.version, current.payload));
      return true;
    }
    case 'del': {
      const live = liveEnvelope(records, key, now) !== undefined;
      records.delete(key);
      return live ? 1 : 0;
    }
    case 'lock': {
      const current = liveEnvelope(records, key, now);
      if (current && current.payload.toString('utf8') !== op.arg) return false;
      store(records, key, now, requireBytes(op));
      return true;
    }
    case 'renew': {
      const current = liveEnvelope(records, key, now);
      if (!current || current.payload.toString('utf8') !== op.arg) return false;
      store(records, key, now, requireBytes(op));
      return true;
    }
    case 'unlock': {
      const current = liveEnvelope(records, key, now);
      if (!current || current.payload.toString('utf8') !== op.arg) return false;
      records.delete(key);
      return true;
    }
    case 'purge': {
      let removed = 0;
      for (const [stored, record] of records) {
        const envelope = decodeEnvelope(record.bytes);
        if (envelope && !isLive(envelope, now)) {
          records.delete(stored);
          removed++;
        }
      }
      return removed;
    }
    default:
      throw new Error(`unknown kv command "${op.cmd}"`);
  }
}
