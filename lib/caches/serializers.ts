import { isUtf8 } from 'node:buffer';
import * as v8 from 'node:v8';
import { Packr } from 'msgpackr';
import { type CacheSerializer, parseInteger, type SerializerName } from '../contract';
import { describe, invalidOption, MemoirError } from '../errors';

/**
 * The built-in serializers of key-value caches, and the codec that turns values into what a
 * store holds and back.
 *
 * Integers are stored raw by every built-in serializer but 'string' (which stores their
 * text): a number the store can add to, so `increment` works on a value written by `set`, and
 * other clients of a shared server read a plain integer. A raw integer comes back as a number.
 */
export const SERIALIZER_NAMES: readonly SerializerName[] = ['v8', 'json', 'msgpack', 'string', 'none'];
const ACCEPTED = `one of ${SERIALIZER_NAMES.map((name) => `'${name}'`).join(', ')}, or an object { serialize(value), deserialize(raw) }`;

// msgpack as other clients read it: no msgpackr record extension.
const packr = new Packr({ useRecords: false });

const text = (raw: Buffer | string) => (typeof raw === 'string' ? raw : raw.toString('utf8'));
const bytes = (raw: Buffer | string) => (typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw);

const BUILT_IN: Record<Exclude<SerializerName, 'none'>, CacheSerializer> = {
  v8: { serialize: (value) => v8.serialize(value), deserialize: (raw) => v8.deserialize(bytes(raw)) },
  json: {
    serialize(value) {
      rejectUnstorable(value, 'json');
      const json = JSON.stringify(value);
      if (json === undefined) throw new Error(`${describe(value)} has no JSON form`);
      return json;
    },
    deserialize: (raw) => JSON.parse(text(raw)),
  },
  msgpack: {
    serialize(value) {
      rejectUnstorable(value, 'msgpack');
      return packr.pack(value);
    },
    deserialize: (raw) => packr.unpack(typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw),
  },
  string: {
    serialize(value) {
      if (!hasOwnText(value)) throw new Error(`string holds text, numbers and booleans, not ${describe(value)}`);
      return String(value);
    },
    deserialize: text,
  },
};

/**
 * json and msgpack would drop a function or a symbol without a word (and msgpack a cycle
 * overflows the stack): refuse them, so a value never comes back different from what was set.
 * json would also turn a Map or a Set into `{}`, NaN and Infinity into null, a Date into a
 * string and a Buffer into `{ type, data }`: those are refused under json too.
 */
function rejectUnstorable(value: unknown, format: string, seen = new Set<object>()): void {
  if (typeof value === 'function' || typeof value === 'symbol') {
    throw new Error(`${format} cannot hold ${describe(value)}`);
  }
  if (format === 'json') rejectNonJson(value);
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || value instanceof Date) return;
  if (seen.has(value)) throw new Error(`${format} cannot hold a circular structure`);
  seen.add(value);
  const children = value instanceof Map ? [...value.keys(), ...value.values()] : value instanceof Set ? [...value] : Object.values(value);
  for (const child of children) rejectUnstorable(child, format, seen);
  seen.delete(value);
}

/** Whether String(value) is the value's own text: not "[object Object]", nor a function's source. */
function hasOwnText(value: unknown): boolean {
  if (typeof value === 'function' || typeof value === 'symbol') return false;
  return typeof value !== 'object' || value === null || Buffer.isBuffer(value) || value instanceof Date;
}

/** What JSON would read back as something else. */
function rejectNonJson(value: unknown): void {
  if (typeof value === 'bigint') throw new Error('json cannot hold a BigInt');
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`json cannot hold ${value} (it reads back as null)`);
  if (value instanceof Map || value instanceof Set || value instanceof Date || ArrayBuffer.isView(value)) {
    throw new Error(`json cannot hold ${describe(value)} (it would read back as ${value instanceof Date ? 'a string' : 'a plain object'})`);
  }
}

/** The serializer object behind `serializer`; undefined for 'none' (values as given). */
export function serializerObject(serializer: SerializerName | CacheSerializer): CacheSerializer | undefined {
  if (typeof serializer !== 'string') return serializer;
  return serializer === 'none' ? undefined : BUILT_IN[serializer];
}

/**
 * What memoized functions' entries record as their serializer: the built-in name, or
 * `custom:<name>` for a custom one (`custom` without a name), so one never reads another's.
 */
export function serializerTag(serializer: SerializerName | CacheSerializer): string {
  if (typeof serializer === 'string') return serializer;
  return typeof serializer.name === 'string' && serializer.name !== '' ? `custom:${serializer.name}` : 'custom';
}

export function isSerializer(value: unknown): value is CacheSerializer {
  const candidate = value as Partial<CacheSerializer> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.serialize === 'function' && typeof candidate.deserialize === 'function';
}

/** Validates the `serializer` option (a name or an object). */
export function checkSerializer(value: unknown, option = 'serializer'): SerializerName | CacheSerializer {
  if (typeof value === 'string' && (SERIALIZER_NAMES as readonly string[]).includes(value)) return value as SerializerName;
  if (isSerializer(value)) return value;
  throw invalidOption(option, value, ACCEPTED);
}

/**
 * What serializer 'none' reads from a store that hands every value back as bytes: the integer
 * the digits spell (increment wrote it, or a number was set), else the text when the bytes are
 * UTF-8, else the bytes.
 */
function asGivenFromBytes(raw: Buffer): unknown {
  const integer = parseInteger(raw);
  if (integer !== undefined) return integer;
  return isUtf8(raw) ? raw.toString('utf8') : raw;
}

export type Decoded = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Values to stored form and back, for one cache. */
export class Codec {
  private readonly custom: CacheSerializer | undefined;
  private readonly name: SerializerName | 'custom';
  private readonly serializer: CacheSerializer | undefined;
  /** Raw integers are kept raw (and read back as numbers). */
  private readonly rawIntegers: boolean;

  constructor(
    serializer: SerializerName | CacheSerializer,
    private readonly holdsObjects: boolean,
    private readonly cache: string,
    private readonly textual = false,
  ) {
    this.custom = typeof serializer === 'string' ? undefined : serializer;
    this.name = typeof serializer === 'string' ? serializer : 'custom';
    this.serializer = typeof serializer === 'string' ? (serializer === 'none' ? undefined : BUILT_IN[serializer]) : serializer;
    this.rawIntegers = this.name === 'v8' || this.name === 'json' || this.name === 'msgpack';
  }

  /** True when values pass through untouched (serializer 'none' on an in-process store). */
  get identity(): boolean {
    return this.name === 'none' && this.holdsObjects;
  }

  encode(value: unknown): unknown {
    if (this.rawIntegers && typeof value === 'number' && Number.isSafeInteger(value)) return value;
    if (this.serializer === undefined) return this.asGiven(value);
    let out: unknown;
    try {
      out = this.serializer.serialize(value);
    } catch (error) {
      throw this.failure(value, error);
    }
    if (typeof out !== 'string' && !Buffer.isBuffer(out)) {
      throw this.failure(value, new Error(`the serializer returned ${describe(out)}, not a Buffer or a string`));
    }
    return out;
  }

  decode(raw: unknown): Decoded {
    if (this.serializer === undefined) return { ok: true, value: this.textual && Buffer.isBuffer(raw) ? asGivenFromBytes(raw) : raw };
    if (typeof raw === 'number') return { ok: true, value: this.name === 'string' ? String(raw) : raw };
    if (this.rawIntegers && this.name !== 'json') {
      // A text store (Redis) returns a raw integer as its digits. v8 output starts with 0xff and
      // msgpack output that is all digits is a single small integer, which is stored raw anyway.
      const integer = parseInteger(raw);
      if (integer !== undefined) return { ok: true, value: integer };
    }
    if (typeof raw !== 'string' && !Buffer.isBuffer(raw)) {
      return { ok: false, error: new Error(`stored value is ${describe(raw)}, not text or bytes`) };
    }
    try {
      return { ok: true, value: this.serializer.deserialize(raw) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** 'none' on a store that keeps bytes: only what it can keep as given. */
  private asGiven(value: unknown): unknown {
    if (this.holdsObjects || typeof value === 'string' || Buffer.isBuffer(value)) return value;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    throw this.failure(value, new Error("serializer 'none' stores strings, finite numbers and Buffers as given"));
  }

  private failure(value: unknown, error: unknown): MemoirError {
    return new MemoirError(
      'SERIALIZATION_FAILED',
      `${this.cache}: ${describe(value)} cannot be stored with serializer ${this.custom ? '(custom)' : `'${this.name}'`} (${(error as Error)?.message ?? String(error)}). ` +
        "Store plain data, or pick another `serializer` ('v8' keeps Date, Map, Set, BigInt; an object { serialize, deserialize } handles anything).",
      { cause: error },
    );
  }
}
