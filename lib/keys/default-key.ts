import { hash } from 'node:crypto';
import objectHash from 'object-hash';
import { MemoirError } from '../errors';
import { byteText, scan, stringPrefix } from './bytes';
import { compressKeyText } from './compression';
import { fastSerialize } from './serializer';

/**
 * Argument keys.
 *
 * The key of an argument list is object-hash's serialization of it — the bytes object-hash
 * feeds its digest, one character per byte (key-bytes.ts) — with each plain object's constant
 * type header shortened to a code (key-compression.ts, which argues that this keeps equal texts
 * equal and different texts different). So two argument lists share a key exactly when
 * object-hash gives them the same hash: type-aware ('1' vs 1, a Date vs its ISO string), object
 * key order ignored, Map and Set compared by content, stable across processes and machines.
 *
 * Hashing on every call would cost microseconds, so all-primitive lists are spelled by a tight
 * loop, `fastSerialize` writes the text directly for arrays, plain objects and Dates, and only
 * the rest goes through object-hash itself. Keys longer than LONG_KEY characters are replaced by
 * their SHA-1, so stored keys stay bounded; a long key starts with `sha1:`, a text with `array:`.
 */
export type HashFunc = (args: readonly unknown[], context: KeyContext) => string;

export interface KeyContext {
  /** The cache name (the function's namespace). */
  name: string;
  /** For methods: the instance the method was called on. */
  self?: unknown;
}

const LONG_KEY = 400;

/** Trailing `undefined` arguments do not change the key: f(1) and f(1, undefined) match. */
export function normalizeArgs(args: readonly unknown[]): readonly unknown[] {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  return end === args.length ? args : args.slice(0, end);
}

/** The default key function. */
export function defaultKey(args: readonly unknown[]): string {
  const text = keyText(args);
  return text.length > LONG_KEY ? `sha1:${hash('sha1', text)}` : internalized(text);
}

const propertyNames: Record<string, unknown> = Object.create(null);

/**
 * The key text is built piece by piece, so V8 holds it as a rope, and a Map lookup with a
 * rope hashes and compares it through a slow iterator every time (about half the cost of a
 * memory hit with an object argument). Looking it up once as a property name internalizes
 * it: V8 flattens and hashes it, and the rope forwards to that string from then on.
 */
function internalized(text: string): string {
  void propertyNames[text]; // the lookup is the point; the object stays empty
  return text;
}

/** The key before long keys are digested: compressKeyText of object-hash's text. */
export function keyText(args: readonly unknown[]): string {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  const primitive = primitiveKeyText(args, end);
  if (primitive !== undefined) return primitive;
  const normalized = end === args.length ? args : args.slice(0, end);
  return fastSerialize(normalized) ?? compressKeyText(objectHashText(normalized));
}

const ARRAY_PREFIXES = Array.from({ length: 8 }, (_, length) => `array:${length}:`);

/**
 * The first `count` arguments when all are primitives and no string needs conversion: the same
 * text fastSerialize would write, without allocating a serializer. Undefined otherwise.
 */
function primitiveKeyText(args: readonly unknown[], count: number): string | undefined {
  let text = count < 8 ? ARRAY_PREFIXES[count] : `array:${count}:`;
  for (let i = 0; i < count; i++) {
    const arg = args[i];
    if (typeof arg === 'number') {
      text += `number:${arg}`;
    } else if (typeof arg === 'string') {
      // Non-ASCII needs its byte text and '[' may need the compression's slow path.
      if (!isPlainAscii(arg)) return undefined;
      text += stringPrefix(arg.length) + arg;
    } else if (typeof arg === 'boolean') {
      text += arg ? 'bool:true' : 'bool:false';
    } else if (arg === undefined) {
      text += 'Undefined';
    } else if (arg === null) {
      text += 'Null';
    } else if (typeof arg === 'bigint') {
      text += `bigint:${arg}`;
    } else {
      return undefined;
    }
  }
  return text;
}

/** ASCII without '[': written as is, in compressed and uncompressed text alike. */
function isPlainAscii(value: string): boolean {
  if (value.length > 16) return scan(value) === 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0x80 || code === 0x5b) return false;
  }
  return true;
}

/**
 * object-hash's own serialization (uncompressed), for shapes the fast path leaves to it.
 * Throws MemoirError 'UNHASHABLE_ARGUMENT' for functions, symbols and what object-hash refuses.
 */
export function objectHashText(args: readonly unknown[]): string {
  assertHashable(args);
  let text = '';
  const stream = {
    write: (chunk: string | Buffer) => {
      if (typeof chunk !== 'string') text += chunk.toString('latin1');
      else text += scan(chunk) === 0 ? chunk : byteText(chunk);
    },
  } as unknown as NodeJS.WritableStream;
  try {
    objectHash.writeToStream(args, {}, stream);
  } catch (error) {
    const position = args.findIndex((arg) => !isSerializable(arg));
    const where = position < 0 ? 'the arguments' : `argument ${position + 1}`;
    throw new MemoirError(
      'UNHASHABLE_ARGUMENT',
      `Cannot hash ${where} (${(error as Error).message}); pass plain data or a \`hashFunc\` option.`,
      { cause: error },
    );
  }
  return text;
}

function isSerializable(value: unknown): boolean {
  try {
    objectHash.writeToStream(value ?? null, {}, { write: () => true } as never);
    return true;
  } catch {
    return false;
  }
}

/**
 * object-hash would happily hash functions (by source) and symbols (by description), which
 * makes distinct callbacks collide; memoir refuses them and names where they are.
 */
export function assertHashable(args: readonly unknown[]): void {
  const seen = new Set<object>();
  const visit = (value: unknown, path: string): void => {
    if (typeof value === 'function' || typeof value === 'symbol') {
      throw new MemoirError(
        'UNHASHABLE_ARGUMENT',
        `Cannot hash ${path}: it is a ${typeof value}. Pass plain data, or give a \`hashFunc\` ` +
          'option that turns the arguments into a string.',
      );
    }
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Map) {
      for (const [k, v] of value) {
        visit(k, `${path} (a Map key)`);
        visit(v, `${path} (a Map value)`);
      }
    } else if (value instanceof Set) {
      for (const v of value) visit(v, `${path} (a Set member)`);
    } else if (!ArrayBuffer.isView(value)) {
      const isArray = Array.isArray(value);
      for (const key of Object.keys(value)) {
        visit(
          (value as Record<string, unknown>)[key],
          isArray ? `${path}[${key}]` : `${path}.${key}`,
        );
      }
    }
  };
  for (let index = 0; index < args.length; index++) visit(args[index], `argument ${index + 1}`);
}
