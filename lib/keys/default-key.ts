import { hash } from 'node:crypto';
import { KeyEncoder, numberText, quote } from './encoder';
import { unkeyableError } from './unkeyable';

/**
 * Argument keys.
 *
 * The key of an argument list is its text in the encoding of encoder.ts (`[7,"user"]`), which
 * gives two lists the same text exactly when they hold the same values: type-aware (`'1'` vs
 * `1`, `-0` vs `0`, a Date vs its ISO string), object key order ignored, Maps and Sets by
 * content, and the same in every process and on every machine. A value it cannot represent
 * faithfully is refused with UNHASHABLE_ARGUMENT, never collapsed onto another.
 *
 * Texts longer than LONG_KEY characters are replaced by their SHA-256, so stored keys stay
 * bounded; such a key starts with `sha256:`, a text with `[`. (Neither can be a key of the
 * object-hash format used before, `array:...` or `sha1:...`, so entries stored by an older
 * version are missed, never misread.)
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
  return bounded(keyText(args));
}

/**
 * The key of a method call: the instance's key value (its own fields, or what `instanceKey`
 * returned) followed by the arguments. Refusals name `this` rather than "argument 1".
 */
export function methodKey(instance: unknown, args: readonly unknown[]): string {
  const parts = [instance, ...normalizeArgs(args)];
  return bounded(encode(parts, parts.length, methodLabel, METHOD_ADVICE));
}

const argumentLabel = (index: number) => `argument ${index + 1}`;
const methodLabel = (index: number) => (index === 0 ? "the instance's state (this)" : `argument ${index}`);
const METHOD_ADVICE =
  'For the instance, give the decorator an `instanceKey` (e.g. instanceKey: (self) => self.id) ' +
  'or `shareAcrossInstances: true`; for arguments, pass plain data or give a `hashFunc` option.';

function bounded(text: string): string {
  return text.length > LONG_KEY ? `sha256:${hash('sha256', text)}` : internalized(text);
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

/** The key before long keys are digested. */
export function keyText(args: readonly unknown[]): string {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  return primitiveKeyText(args, end) ?? encode(args, end, argumentLabel);
}

function encode(
  parts: readonly unknown[],
  count: number,
  label: (index: number) => string,
  advice?: string,
): string {
  const encoder = new KeyEncoder();
  try {
    encoder.list(parts, count);
  } catch (error) {
    throw unkeyableError(error, parts.slice(0, count), label, advice);
  }
  return encoder.text;
}

/**
 * The text of one value in the key encoding, never digested: what the data-structure caches
 * store a set member or a dict key as (equal values, equal texts; distinct values, distinct
 * texts). `label` names the value in a refusal ('the member').
 */
export function valueText(value: unknown, label: string, advice: string): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return numberText(value);
    default: {
      const encoder = new KeyEncoder();
      try {
        encoder.value(value);
      } catch (error) {
        throw unkeyableError(error, [value], () => label, advice);
      }
      return encoder.text;
    }
  }
}

/**
 * The text of the first `count` arguments when all are primitives: what the encoder would
 * write, without allocating one. Undefined when one is not a primitive (or is a symbol).
 */
function primitiveKeyText(args: readonly unknown[], count: number): string | undefined {
  let text = '[';
  for (let i = 0; i < count; i++) {
    if (i > 0) text += ',';
    const arg = args[i];
    switch (typeof arg) {
      case 'number':
        text += numberText(arg);
        break;
      case 'string':
        text += quote(arg);
        break;
      case 'boolean':
        text += arg ? 'true' : 'false';
        break;
      case 'undefined':
        text += 'undefined';
        break;
      case 'bigint':
        text += `${arg}n`;
        break;
      case 'object':
        if (arg !== null) return undefined;
        text += 'null';
        break;
      default:
        return undefined;
    }
  }
  return `${text}]`;
}
