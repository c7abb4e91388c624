import { createHash } from 'node:crypto';
import objectHash from 'object-hash';
import { MemoirError } from './errors';
import { fastSerialize } from './key-serializer';

/**
 * Argument keys.
 *
 * The key of an argument list IS object-hash's serialization of it (the text object-hash
 * feeds into its digest), so two argument lists share a key exactly when object-hash gives
 * them the same hash: type-aware ('1' vs 1, a Date vs its ISO string), object key order
 * ignored, Map and Set compared by content, stable across processes and machines.
 *
 * Hashing that text on every call would cost microseconds, so `fastSerialize` produces the
 * same text directly for the common shapes (primitives, arrays, plain objects, Dates) and
 * only the rest goes through object-hash itself. Keys longer than LONG_KEY characters are
 * replaced by their SHA-1, so stored keys stay bounded.
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
  const normalized = normalizeArgs(args);
  const text = fastSerialize(normalized) ?? objectHashText(normalized);
  return text.length > LONG_KEY ? `sha1:${createHash('sha1').update(text).digest('hex')}` : text;
}

/** object-hash's own serialization, for shapes the fast path leaves to it. */
export function objectHashText(args: readonly unknown[]): string {
  assertHashable(args);
  let text = '';
  try {
    objectHash.writeToStream(args, {}, {
      // object-hash hashes strings as UTF-8 (lone surrogates become U+FFFD) and Buffers raw;
      // latin1 maps each byte to one character, injectively.
      write: (chunk: string | Buffer) => {
        text += typeof chunk === 'string' ? chunk.toWellFormed() : chunk.toString('latin1');
      },
    } as unknown as NodeJS.WritableStream);
  } catch (error) {
    throw new MemoirError(
      'UNHASHABLE_ARGUMENT',
      `Cannot hash the arguments (${(error as Error).message}); pass a \`hashFunc\` option.`,
      { cause: error },
    );
  }
  return text;
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
        visit((value as Record<string, unknown>)[key], isArray ? `${path}[${key}]` : `${path}.${key}`);
      }
    }
  };
  args.forEach((arg, index) => {
    visit(arg, `argument ${index + 1}`);
  });
}
