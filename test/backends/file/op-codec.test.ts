import { types } from 'node:util';
import * as v8 from 'node:v8';
import { decodeOp, encodeFrame, FRAME_HEADER_SIZE, type Op } from '../../../backends/file/format';
import { decodeFlat, encodeFlat } from '../../../backends/file/op-codec';

/**
 * Frames are written and read without node:v8 for flat changes (op-codec.ts), and must stay
 * the bytes v8 writes and reads: a file written by this build is read by `v8.deserialize`
 * (older builds), and frames v8 wrote are read here. Every case goes both ways.
 */

/**
 * Values decoded by v8 live in the main realm, not in Jest's: compared by structure, with
 * Object.is for primitives (-0, NaN) and byte for byte for byte arrays (of the same kind).
 */
function same(a: unknown, b: unknown): boolean {
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || Buffer.isBuffer(a) !== Buffer.isBuffer(b)) return false;
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }
  if (types.isDate(a) || types.isDate(b)) return types.isDate(a) && types.isDate(b) && a.getTime() === b.getTime();
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if (Object.hasOwn(a, key) !== Object.hasOwn(b, key)) return false;
    if (!same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

const strings = [
  '',
  'plain ascii',
  'latin1 éàü ÿ',
  'Ā two-byte', // one char past latin1
  'é€ mixed', // two-byte, even and odd places in the buffer
  'emoji 😀 pair',
  'lone \uD800 surrogate',
  'x'.repeat(127),
  'y'.repeat(128), // length varint of two bytes
  'z'.repeat(20_000),
  '€'.repeat(70), // two-byte, byte length past one varint byte
];
const numbers = [0, -0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1.5, 1_700_000_000_000.25, Number.NaN, Number.POSITIVE_INFINITY, -Number.MAX_VALUE];
const bytes = [Buffer.alloc(0), Buffer.from([1, 2, 3]), Buffer.alloc(200, 7), new Uint8Array([9, 8, 7]), Buffer.alloc(70_000, 3).subarray(5, 60_005)];

function* flatObjects(): Generator<Record<string, unknown>> {
  for (const [i, text] of strings.entries()) {
    // Each string as a key's value, after a key of each parity, so two-byte padding is hit both ways.
    yield { op: 'write', id: `id-${i}`, key: text, bytes: bytes[i % bytes.length], time: numbers[i % numbers.length], owner: null };
    yield { k: text, kk: text, owner: i % 2 ? 'someone' : null, promised: true };
  }
  for (const n of numbers) yield { op: 'acquire', id: 'a', key: 'k', owner: 'o', now: n, leaseUntil: n };
  for (const b of bytes) yield { op: 'kv', id: 'i', key: 'k', cmd: 'set', now: 1, bytes: b, arg: null };
  yield { f: false, t: true, u: undefined, n: null };
  yield {};
}

describe('frame bodies without node:v8 (op-codec)', () => {
  it('writes what v8.deserialize reads back as the same change', () => {
    for (const op of flatObjects()) {
      const body = encodeFlat(op, 0);
      expect(body).toBeDefined();
      expect(same(v8.deserialize(body!), op)).toBe(true);
    }
  });

  it('reads what v8.serialize wrote, and what it wrote itself, without node:v8', () => {
    for (const op of flatObjects()) {
      const decoded = decodeFlat(v8.serialize(op));
      expect(same(decoded, op)).toBe(true);
      // Built here, in Jest's realm, not by v8.deserialize (main realm): v8's own way of writing
      // these (small integers as 'I', strings it keeps two-byte) takes the fast path too.
      expect(decoded instanceof Object).toBe(true);
      expect(same(decodeFlat(encodeFlat(op, 0)!), op)).toBe(true);
    }
  });

  it('returns byte arrays as views of the body, of the type v8 would', () => {
    const body = v8.serialize({ buffer: Buffer.from([1, 2]), array: new Uint8Array([3, 4]) });
    const decoded = decodeFlat(body) as { buffer: Uint8Array; array: Uint8Array };
    expect(Buffer.isBuffer(decoded.buffer)).toBe(true);
    expect(Buffer.isBuffer(decoded.array)).toBe(false);
    expect(types.isUint8Array(decoded.array)).toBe(true);
    expect(decoded.buffer.buffer).toBe(body.buffer);
  });

  it('leaves what is not flat to node:v8, both ways', () => {
    for (const op of [{ nested: { a: 1 } }, { list: [1, 2] }, { when: new Date(0) }, { big: 1n }, { f64: new Float64Array([1]) }]) {
      expect(encodeFlat(op, 0)).toBeUndefined();
      expect(same(decodeFlat(v8.serialize(op)), op)).toBe(true);
    }
    expect(decodeFlat(v8.serialize('not an object'))).toBe('not an object');
  });

  it('writes flat values as v8 reads them back: primitives, byte arrays, plain objects of those', () => {
    class Tagged extends Uint8Array {}
    const flat: unknown[] = [...strings, ...numbers, ...bytes, true, false, null, undefined];
    flat.push({ 'ключ': 'значение', '0': 1, 'é': 'ok' }, Object.assign(Object.create(null), { bare: 1 }), { b: Buffer.from('x'), u: new Uint8Array([1]) });
    for (const value of flat) {
      const body = encodeFlat(value, 0);
      expect(body).toBeDefined();
      const back = v8.deserialize(body!);
      expect(same(back, value) || same(back, { ...(value as object) })).toBe(true);
    }
    // What v8 writes another way, or refuses: left to v8.
    const shared = Buffer.from('one array, twice');
    const notFlat = [
      [1, 2],
      { list: [1] },
      new Date(0),
      new Map(),
      1n,
      Object.assign(new (class Named {})(), { a: 1 }),
      new Proxy({ a: 1 }, {}),
      new Tagged(2),
      new Float64Array(1),
      { shared, again: shared },
      () => 1,
      Symbol('s'),
    ];
    for (const value of notFlat) expect(encodeFlat(value, 0)).toBeUndefined();
  });

  it('encodes every change a frame carries, state included, so that decodeOp gets it back', () => {
    const changes: Op[] = [
      { op: 'write', id: 'w', key: 'ключ', bytes: Buffer.from('value'), time: 5, owner: 'me', promised: true },
      { op: 'acquire', id: 'a', key: 'k', owner: 'o', now: 1, leaseUntil: 2 },
      { op: 'renew', id: 'r', key: 'k', owner: 'o', now: 1, leaseUntil: 3 },
      { op: 'release', id: 'l', key: 'k', owner: null },
      { op: 'delete', id: 'd', key: 'k' },
      { op: 'dropMarks', id: 'm' },
      { op: 'dropStale', id: 's', before: 10 },
      { op: 'kv', id: 'v', key: 'k', cmd: 'incr', now: 1, bytes: null, arg: 2 },
      { op: 'state', records: [['k', 1, true, null, 0, 0, Buffer.from('x'), false]] },
      { op: 'seal' },
    ];
    for (const change of changes) {
      const frame = encodeFrame('gen-salt', change);
      const body = frame.subarray(FRAME_HEADER_SIZE);
      expect(same(decodeOp(body), change)).toBe(true);
      expect(same(v8.deserialize(body), change)).toBe(true);
    }
  });
});
