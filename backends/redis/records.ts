import type { Serializer } from '../../lib/contract';

/**
 * What memoir stores under its two keys of an entry.
 *
 * Value key: an 11-byte header, then the serialized value:
 *   byte 0      0x4D ('M'): memoir wrote this
 *   byte 1      format version (1)
 *   byte 2      flags: bit 0 set when the function answered with a Promise (`Entry.promised`)
 *   bytes 3-10  the entry's time, float64 little-endian (the engine's clock: entry ages)
 * The scripts read the time with `struct.unpack('<d', value, 4)` (deleteStale).
 *
 * Lease key: `<since>:<leaseUntil>:<owner>`, both times in the server's epoch ms. The mark is
 * live while the server's TIME is before `leaseUntil`; the key itself is kept a while longer
 * (see DEAD_MARK_KEPT_MS in core.ts) so that a calculator whose lease ran out, but which
 * nobody took over, can still store its result, and then it expires on its own (PX).
 */
const MAGIC = 0x4d;
const VERSION = 1;
const PROMISED = 0b1;
export const HEADER_BYTES = 11;

export function encodeValue(time: number, payload: Buffer, promised: boolean): Buffer {
  const bytes = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  bytes[0] = MAGIC;
  bytes[1] = VERSION;
  bytes[2] = promised ? PROMISED : 0;
  bytes.writeDoubleLE(time, 3);
  payload.copy(bytes, HEADER_BYTES);
  return bytes;
}

export type DecodedValue =
  | { ok: true; time: number; promised: boolean; value: unknown; size: number }
  | { ok: false; reason: string; error?: unknown };

/** Reads a value record; foreign or damaged bytes are reported as unreadable, never thrown. */
export function decodeValue(bytes: Buffer, serializer: Serializer): DecodedValue {
  const header = readHeader(bytes);
  if (!header.ok) return header;
  try {
    const value = serializer.deserialize(bytes.subarray(HEADER_BYTES));
    return {
      ok: true,
      time: header.time,
      promised: header.promised,
      value,
      size: bytes.length - HEADER_BYTES,
    };
  } catch (error) {
    return {
      ok: false,
      reason: `the value cannot be deserialized (${(error as Error).message})`,
      error,
    };
  }
}

export function readHeader(
  bytes: Buffer,
): { ok: true; time: number; promised: boolean } | { ok: false; reason: string } {
  if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC)
    return { ok: false, reason: 'not written by memoir' };
  if (bytes[1] !== VERSION) return { ok: false, reason: `unknown format version ${bytes[1]}` };
  const time = bytes.readDoubleLE(3);
  if (!Number.isFinite(time)) return { ok: false, reason: 'the stored time is not a number' };
  return { ok: true, time, promised: (bytes[2]! & PROMISED) !== 0 };
}

/** A lease as stored, times on the server's clock. */
export interface ServerMark {
  owner: string;
  since: number;
  leaseUntil: number;
}

export function decodeLease(raw: Buffer | string | null | undefined): ServerMark | undefined {
  if (raw === null || raw === undefined) return undefined;
  const match = /^(\d+):(\d+):(.*)$/s.exec(typeof raw === 'string' ? raw : raw.toString('utf8'));
  if (!match) return undefined;
  return { since: Number(match[1]), leaseUntil: Number(match[2]), owner: match[3]! };
}
