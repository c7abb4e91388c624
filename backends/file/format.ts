import { randomFillSync } from 'node:crypto';
import * as v8 from 'node:v8';
import type { Mark } from '../../lib/core';

/**
 * The on-disk format of every file the file core writes (a shard of records, or one entry).
 *
 *   bytes 0-5   'MEMOIR'                magic: anything else is a foreign file
 *   byte  6     kind ('S' shard, 'E' entry)
 *   byte  7     format version           a different one is reported, never misread
 *   bytes 8-15  generation               random per write: readers compare it to revalidate
 *   bytes 16-21 body length (48-bit LE)  a shorter file is a truncated one
 *   bytes 22-23 reserved (0)
 *   body        v8-serialized array of record tuples
 *
 * The generation is what lets a hit skip re-reading a file: a reader keeps the parsed records
 * together with the generation they came from, and one 24-byte read tells whether the file
 * on disk is still that one. Every rewrite is a new file (temp + rename) with a fresh random
 * generation, so equal generations mean equal contents.
 */
export const FORMAT_VERSION = 1;
export const HEADER_SIZE = 24;
const MAGIC = Buffer.from('MEMOIR', 'latin1');

export type FileKind = 'S' | 'E';

/** One key's stored state. `bytes` is the serialized value, present only when completed. */
export interface StoredRecord {
  time: number;
  completed: boolean;
  mark?: Mark;
  bytes?: Uint8Array;
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
];

const generationBuffer = Buffer.alloc(8);

/** A fresh random generation, as the latin1 string the header holds. */
export function newGeneration(): string {
  randomFillSync(generationBuffer);
  return generationBuffer.toString('latin1');
}

export function encodeFile(kind: FileKind, generation: string, records: Records): Buffer {
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
    ]);
  }
  const body = v8.serialize(tuples);
  const header = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(header, 0);
  header.write(kind, 6, 'latin1');
  header[7] = FORMAT_VERSION;
  header.write(generation, 8, 8, 'latin1');
  header.writeUIntLE(body.length, 16, 6);
  return Buffer.concat([header, body]);
}

/** What a header says about its file: the generation and body length, or why it is unusable. */
export type HeaderReading =
  | { ok: true; generation: string; bodyLength: number }
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
  return {
    ok: true,
    generation: header.toString('latin1', 8, 16),
    bodyLength: header.readUIntLE(16, 6),
  };
}

/** Parses a body; throws with a readable message when it is not a list of record tuples. */
export function decodeBody(body: Uint8Array): Records {
  const tuples = v8.deserialize(body) as unknown;
  if (!Array.isArray(tuples)) throw new Error('body is not a record list');
  const records: Records = new Map();
  for (const tuple of tuples as unknown[]) {
    if (!isTuple(tuple)) throw new Error('malformed record');
    const [key, time, completed, owner, since, leaseUntil, bytes] = tuple;
    const record: StoredRecord = { time, completed };
    if (owner !== null) record.mark = { owner, since, leaseUntil };
    if (completed && bytes !== null) record.bytes = bytes;
    records.set(key, record);
  }
  return records;
}

function isTuple(value: unknown): value is Tuple {
  return (
    Array.isArray(value) &&
    value.length === 7 &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'number' &&
    typeof value[2] === 'boolean' &&
    (value[3] === null || typeof value[3] === 'string') &&
    typeof value[4] === 'number' &&
    typeof value[5] === 'number' &&
    (value[6] === null || value[6] instanceof Uint8Array)
  );
}
