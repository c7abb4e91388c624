import { randomFillSync } from 'node:crypto';
import * as v8 from 'node:v8';
import type { Mark } from '../../lib/contract';
import { crc32 } from './crc32';
import { decodeFlat, encodeFlat } from './op-codec';

/**
 * The on-disk format of every file the file core writes (a shard of records, or one entry):
 * a header, then a log of frames, each one change to the file's records.
 *
 *   header (24 bytes)
 *     bytes 0-5    'MEMOIR'          magic: anything else is a foreign file
 *     byte  6      kind ('S' shard, 'E' entry)
 *     byte  7      format version    a different one is reported, never misread
 *     bytes 8-15   generation        random per file: a compaction makes a new file
 *     bytes 16-21  base length (48-bit LE)   the frames the file was created with; a file
 *                                  shorter than header + base is a truncated one
 *     bytes 22-23  reserved (0)
 *   frame (16 bytes + body), appended with O_APPEND
 *     bytes 0-7    the file's generation   also what a reader resynchronizes on
 *     bytes 8-11   body length (u32 LE)
 *     bytes 12-15  CRC-32 of the body      a torn or damaged frame never validates
 *     body         v8-serialized Op
 *
 * Why a log: a change is one small append to a file that already exists, where rewriting the
 * file means creating a temporary file and renaming it over (two directory operations that
 * cost 0.1-1 ms each on the disks measured here). Every process replays the same frames in
 * the same order, so all of them agree on the records and on which claim won (see log.ts).
 */
export const FORMAT_VERSION = 2;
export const HEADER_SIZE = 24;
export const FRAME_HEADER_SIZE = 16;
const MAGIC = Buffer.from('MEMOIR', 'latin1');

export type FileKind = 'S' | 'E';

/**
 * One key's stored state. `bytes` is the serialized value, present only when completed. A
 * record is never changed once it is in a file's records (a change replaces it), so `plain`
 * can remember its value once decoded, when that value is a primitive (records.ts).
 */
export interface StoredRecord {
  time: number;
  completed: boolean;
  mark?: Mark;
  bytes?: Uint8Array;
  /** The function answered with a Promise when this value was computed. */
  promised?: boolean;
  /** The value, decoded once: only for immutable values (primitives), which need no copy. */
  plain?: { value: unknown };
}

export type Records = Map<string, StoredRecord>;

type Tuple = [
  key: string,
  time: number,
  completed: boolean,
  owner: string | null,
  since: number,
  leaseUntil: number,
  bytes: Uint8Array | null,
  /** Absent in files written before it was recorded. */
  promised?: boolean,
];

/**
 * The changes a frame can carry. `id` identifies the appender's own frame when it replays the
 * log to learn its result. `state` replaces all records (the first frame of a compacted
 * file); `seal` ends a file that is being replaced (frames after it do not count).
 */
export type Op =
  | { op: 'state'; records: Tuple[] }
  | { op: 'acquire'; id: string; key: string; owner: string; now: number; leaseUntil: number }
  | { op: 'renew'; id: string; key: string; owner: string; now: number; leaseUntil: number }
  | { op: 'release'; id: string; key: string; owner: string | null }
  | { op: 'write'; id: string; key: string; bytes: Uint8Array; time: number; owner: string | null; promised?: boolean }
  | { op: 'delete'; id: string; key: string }
  | { op: 'dropMarks'; id: string }
  | { op: 'dropStale'; id: string; before: number }
  | KvOp
  | { op: 'seal' };

/**
 * A key-value cache command (kv-records.ts), applied at its place in the log like every other
 * change, so add, increment and compare-and-set are atomic across processes. `now` is the
 * writer's clock: replay never reads a clock of its own.
 */
export interface KvOp {
  op: 'kv';
  id: string;
  key: string;
  cmd: string;
  now: number;
  bytes: Uint8Array | null;
  arg: number | string | null;
}

const generationBuffer = Buffer.alloc(8);

/** A fresh random generation, as the latin1 string the header holds. */
export function newGeneration(): string {
  randomFillSync(generationBuffer);
  return generationBuffer.toString('latin1');
}

/** A new file: the header, then `frames` (the file's base). */
export function encodeFile(kind: FileKind, generation: string, ...frames: Buffer[]): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(header, 0);
  header.write(kind, 6, 'latin1');
  header[7] = FORMAT_VERSION;
  header.write(generation, 8, 8, 'latin1');
  header.writeUIntLE(frames.reduce((sum, frame) => sum + frame.length, 0), 16, 6);
  return Buffer.concat([header, ...frames]);
}

/** What a header says about its file: its generation and base length, or why it is unusable. */
export type HeaderReading =
  | { ok: true; generation: string; baseLength: number }
  | { ok: false; problem: string };

export function readHeader(header: Buffer, available: number, kind: FileKind): HeaderReading {
  if (available < HEADER_SIZE || header.compare(MAGIC, 0, 6, 0, 6) !== 0) {
    return { ok: false, problem: 'not a memoir cache file (bad header)' };
  }
  if (header[6] !== kind.charCodeAt(0)) {
    return { ok: false, problem: `unexpected file kind "${String.fromCharCode(header[6])}"` };
  }
  if (header[7] !== FORMAT_VERSION) {
    return {
      ok: false,
      problem: `written by format version ${header[7]}; this build reads version ${FORMAT_VERSION}`,
    };
  }
  return { ok: true, generation: header.toString('latin1', 8, 16), baseLength: header.readUIntLE(16, 6) };
}

export function encodeFrame(generation: string, op: Op): Buffer {
  let frame = encodeFlat(op, FRAME_HEADER_SIZE);
  if (frame === undefined) {
    const body = v8.serialize(op);
    frame = Buffer.allocUnsafe(FRAME_HEADER_SIZE + body.length);
    body.copy(frame, FRAME_HEADER_SIZE);
  }
  const body = frame.subarray(FRAME_HEADER_SIZE);
  frame.write(generation, 0, 8, 'latin1');
  frame.writeUInt32LE(body.length, 8);
  frame.writeUInt32LE(crc32(body), 12);
  return frame;
}

/** The `state` op holding `records`. */
export function stateOp(records: Records): Op {
  const tuples: Tuple[] = [];
  for (const [key, record] of records) {
    tuples.push([
      key,
      record.time,
      record.completed,
      record.mark?.owner ?? null,
      record.mark?.since ?? 0,
      record.mark?.leaseUntil ?? 0,
      record.bytes ?? null,
      record.promised === true,
    ]);
  }
  return { op: 'state', records: tuples };
}

/** The records a `state` op holds; throws with a readable message on malformed data. */
export function recordsOf(tuples: unknown): Records {
  if (!Array.isArray(tuples)) throw new Error('state is not a record list');
  const records: Records = new Map();
  for (const tuple of tuples as unknown[]) {
    if (!isTuple(tuple)) throw new Error('malformed record');
    const [key, time, completed, owner, since, leaseUntil, bytes, promised] = tuple;
    const record: StoredRecord = { time, completed };
    if (owner !== null) record.mark = { owner, since, leaseUntil };
    if (completed && bytes !== null) record.bytes = bytes;
    if (completed && promised === true) record.promised = true;
    records.set(key, record);
  }
  return records;
}

/** Decodes a frame body; throws when it is not one of the ops above. */
export function decodeOp(body: Uint8Array): Op {
  const op = decodeFlat(Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)) as Op;
  if (typeof op !== 'object' || op === null || typeof op.op !== 'string' || !Object.hasOwn(OP_FIELDS, op.op)) {
    throw new Error('frame is not a change');
  }
  for (const [field, type] of OP_FIELDS[op.op]) {
    const value = (op as unknown as Record<string, unknown>)[field];
    const ok =
      type === 'bytes'
        ? value instanceof Uint8Array
        : type === 'owner'
          ? value === null || typeof value === 'string'
          : type === 'array'
            ? Array.isArray(value)
            : typeof value === type;
    if (!ok) throw new Error(`malformed ${op.op} change (${field})`);
  }
  return op;
}

type FieldType = 'string' | 'number' | 'bytes' | 'owner' | 'array';
/** Each op's fields and their types, as pairs: replaying a million frames checks them a million times. */
const OP_FIELDS: Record<Op['op'], Array<[string, FieldType]>> = {
  state: [['records', 'array']],
  acquire: [['id', 'string'], ['key', 'string'], ['owner', 'string'], ['now', 'number'], ['leaseUntil', 'number']],
  renew: [['id', 'string'], ['key', 'string'], ['owner', 'string'], ['now', 'number'], ['leaseUntil', 'number']],
  release: [['id', 'string'], ['key', 'string'], ['owner', 'owner']],
  write: [['id', 'string'], ['key', 'string'], ['bytes', 'bytes'], ['time', 'number'], ['owner', 'owner']],
  delete: [['id', 'string'], ['key', 'string']],
  dropMarks: [['id', 'string']],
  dropStale: [['id', 'string'], ['before', 'number']],
  kv: [['id', 'string'], ['key', 'string'], ['cmd', 'string'], ['now', 'number']],
  seal: [],
};

function isTuple(value: unknown): value is Tuple {
  return (
    Array.isArray(value) &&
    (value.length === 7 || (value.length === 8 && typeof value[7] === 'boolean')) &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'number' &&
    typeof value[2] === 'boolean' &&
    (value[3] === null || typeof value[3] === 'string') &&
    typeof value[4] === 'number' &&
    typeof value[5] === 'number' &&
    (value[6] === null || value[6] instanceof Uint8Array)
  );
}
