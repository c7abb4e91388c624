import type { CacheSerializer, SerializerName } from '../../contract';
import { describe, MemoirError } from '../../errors';
import { deserializeDetached } from '../../contract';
import { serializerObject, serializerTag } from '../serializers';
import type { StoredValueForm } from './record';

/**
 * The `serializer` option of memoized functions: how their results are turned into bytes, and
 * how an entry says which serializer wrote it, so that a function reading an entry written by
 * another serializer (its options changed, or another program shares the name) sees a miss and
 * recomputes instead of decoding garbage.
 *
 * 'v8' (the default) and 'none' are the backend's own form: the built-in cores store values
 * with node:v8 (as given in memory), so entries written without the option stay readable.
 * Every other serializer's output is tagged: `MAGIC, tag length, tag, kind, bytes`.
 */
const MAGIC = Buffer.from('\u0000memoir:serialized\u0000', 'latin1');

/** How serialized bytes go back to `deserialize`: as the Buffer or the string the serializer made. */
const KIND = { buffer: 0x62, string: 0x73 } as const;

export type Unwrapped = { state: 'value'; value: unknown } | { state: 'foreign' } | { state: 'unreadable'; error: unknown };

const FOREIGN: Unwrapped = { state: 'foreign' };

/** Bytes a serializer produced, and whether it produced them as a string. */
export interface Payload {
  text: boolean;
  bytes: Buffer;
}

export class MemoCodec {
  /** Recorded with every entry: which serializer wrote it. */
  readonly tag: string;
  /** Values reach the core as they are ('v8', 'none'): the core's own form, nothing to tag. */
  readonly native: boolean;
  private readonly serializer: CacheSerializer | undefined;
  private readonly tagBytes: Buffer;

  constructor(
    readonly setting: SerializerName | CacheSerializer,
    /** How messages name the cache (`Cache "my-app/src/users.ts:load"`). */
    private readonly cache: string,
  ) {
    this.tag = serializerTag(setting);
    this.native = setting === 'v8' || setting === 'none';
    this.serializer = serializerObject(setting);
    this.tagBytes = Buffer.from(this.tag, 'utf8');
    if (this.tagBytes.length > 255) throw new MemoirError('INVALID_OPTION', `Invalid option "serializer": its name is longer than 255 bytes.`);
  }

  /** The serializer's output for `value` as bytes; SERIALIZATION_FAILED when it cannot hold it. */
  toPayload(value: unknown): Payload {
    const serializer = this.serializer;
    if (serializer === undefined) throw new Error('serializer none has no byte form'); // callers never ask
    let out: unknown;
    try {
      out = serializer.serialize(value);
    } catch (error) {
      throw this.failure(value, error);
    }
    if (typeof out === 'string') return { text: true, bytes: Buffer.from(out, 'utf8') };
    if (Buffer.isBuffer(out)) return { text: false, bytes: out };
    throw this.failure(value, new Error(`the serializer returned ${describe(out)}, not a Buffer or a string`));
  }

  /** The value of a payload this codec's serializer wrote; throws what `deserialize` throws. */
  fromPayload(payload: Payload): unknown {
    // Detached: a Buffer in the value never shares memory with bytes a store keeps (file).
    if (this.setting === 'v8') return deserializeDetached(payload.bytes);
    const raw = payload.text ? payload.bytes.toString('utf8') : payload.bytes;
    return this.serializer!.deserialize(raw);
  }

  /**
   * The value as a record in a key-value store keeps it (record.ts): the serializer's output;
   * with 'none', the value itself in a store that holds objects, else a value a byte store keeps
   * as given (a string, number, boolean, null, undefined or Buffer).
   */
  toForm(value: unknown, holdsObjects: boolean): StoredValueForm {
    if (this.serializer !== undefined) {
      const { text, bytes } = this.toPayload(value);
      return { kind: text ? 's' : 'b', bytes };
    }
    if (holdsObjects) return { kind: 'object', value };
    if (Buffer.isBuffer(value)) return { kind: 'B', bytes: value };
    if (typeof value === 'string') return { kind: 'S', bytes: Buffer.from(value, 'utf8') };
    if (typeof value === 'number') return { kind: 'N', bytes: Buffer.from(String(value), 'latin1') };
    if (typeof value === 'boolean' || value === null) return { kind: 'J', bytes: Buffer.from(String(value), 'latin1') };
    if (value === undefined) return { kind: 'U', bytes: Buffer.alloc(0) };
    throw this.failure(value, new Error("serializer 'none' keeps strings, numbers, booleans, null, undefined and Buffers as given on a store of bytes"));
  }

  /** The value of a form this codec wrote; throws when it cannot be read. */
  fromForm(form: StoredValueForm): unknown {
    switch (form.kind) {
      case 'object':
        return form.value;
      case 'b':
      case 's':
        if (this.serializer === undefined) throw new Error('serialized bytes, but no serializer');
        return this.fromPayload({ text: form.kind === 's', bytes: form.bytes });
      case 'B':
        return Buffer.from(form.bytes);
      case 'S':
        return form.bytes.toString('utf8');
      case 'N':
        return Number(form.bytes.toString('latin1'));
      case 'J':
        return JSON.parse(form.bytes.toString('latin1'));
      case 'U':
        return undefined;
      default:
        throw new Error(`unknown kind of stored value ${JSON.stringify((form as { kind: unknown }).kind)}`);
    }
  }

  /** What a built-in core is handed to store for `value`. */
  wrap(value: unknown): unknown {
    if (this.native) return value;
    const { text, bytes } = this.toPayload(value);
    const head = Buffer.allocUnsafe(MAGIC.length + 2 + this.tagBytes.length);
    MAGIC.copy(head, 0);
    head[MAGIC.length] = this.tagBytes.length;
    this.tagBytes.copy(head, MAGIC.length + 1);
    head[head.length - 1] = text ? KIND.string : KIND.buffer;
    return Buffer.concat([head, bytes]);
  }

  /** What a built-in core stored, as this function reads it. */
  unwrap(stored: unknown): Unwrapped {
    if (!isTagged(stored)) return this.native ? { state: 'value', value: stored } : FOREIGN;
    const length = stored[MAGIC.length];
    const tagEnd = MAGIC.length + 1 + length;
    if (this.native || stored.length <= tagEnd || !stored.subarray(MAGIC.length + 1, tagEnd).equals(this.tagBytes)) return FOREIGN;
    const kind = stored[tagEnd];
    try {
      return { state: 'value', value: this.fromPayload({ text: kind === KIND.string, bytes: stored.subarray(tagEnd + 1) }) };
    } catch (error) {
      return { state: 'unreadable', error };
    }
  }

  /** A SERIALIZATION_FAILED naming the cache and pointing at the option. */
  failure(value: unknown, error: unknown): MemoirError {
    return new MemoirError(
      'SERIALIZATION_FAILED',
      `Cache "${this.cache}": ${describe(value)} cannot be stored with serializer ${typeof this.setting === 'string' ? `'${this.setting}'` : `(${this.tag})`} ` +
        `(${(error as Error)?.message ?? String(error)}). Return plain data, or pick another \`serializer\` ` +
        "('v8' keeps Date, Map, Set, BigInt; an object { serialize, deserialize } handles anything).",
      { cause: error },
    );
  }
}

/** Whether a stored value is another serializer's tagged output. */
export function isTagged(value: unknown): value is Buffer {
  return Buffer.isBuffer(value) && value.length > MAGIC.length + 1 && value.compare(MAGIC, 0, MAGIC.length, 0, MAGIC.length) === 0;
}
