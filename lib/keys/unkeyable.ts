import { types } from 'node:util';
import { MemoirError } from '../errors';

/**
 * Why an argument cannot be keyed, and where it is.
 *
 * The encoder (encoder.ts) does not track a path while it works: that would cost every key,
 * for the sake of the rare one that fails. It throws `Unkeyable` with the offending value;
 * `unkeyableError` then walks the arguments again, in the same order, to name the place.
 */
export class Unkeyable {
  constructor(
    /** The value that cannot be keyed (undefined when the fault is the size of the whole). */
    readonly value: unknown,
    /** What it is, e.g. 'a function', 'an instance of Point'. */
    readonly reason: string,
  ) {}
}

const ADVICE =
  'Pass plain data (primitives, plain objects, arrays, Maps, Sets, Dates, Buffers...), give the ' +
  "class a [Symbol.for('memoir.key')]() method that returns its identity as plain data, or " +
  'give a `hashFunc` option that turns the arguments into a string.';

/** The MemoirError for a failure met while keying `parts` (labelled e.g. 'argument 1'). */
export function unkeyableError(
  error: unknown,
  parts: readonly unknown[],
  label: (index: number) => string,
  advice = ADVICE,
): MemoirError {
  if (error instanceof MemoirError) return error;
  if (error instanceof Unkeyable) {
    const where = error.value === undefined ? undefined : locate(parts, error.value, label);
    const subject = where ?? (parts.length === 1 ? label(0) : 'the arguments');
    return new MemoirError('UNHASHABLE_ARGUMENT', `Cannot key ${subject}: it is ${error.reason}. ${advice}`);
  }
  // A getter or a proxy trap that threw, or a stack too deep to walk even within the limits.
  const reason =
    error instanceof RangeError
      ? 'nested too deeply to walk on what is left of the stack'
      : `unreadable (${(error as Error)?.message ?? String(error)})`;
  const subject = parts.length === 1 ? label(0) : 'the arguments';
  return new MemoirError('UNHASHABLE_ARGUMENT', `Cannot key ${subject}: it is ${reason}. ${advice}`, {
    cause: error,
  });
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** Paths stop growing here: past it, the depth is what the reader needs to know. */
const SHOWN_STEPS = 8;
const MAX_STEPS = 5_000;

interface Place {
  value: unknown;
  path: string;
  steps: number;
}

/**
 * The path of the first place `target` occurs in `parts` (depth first, like the encoder),
 * e.g. 'argument 2.options.cb', 'argument 1[3]', 'argument 1 (a Map value)'. Iterative, with
 * each container walked once, so it terminates on cycles and on any depth.
 */
function locate(
  parts: readonly unknown[],
  target: unknown,
  label: (index: number) => string,
): string | undefined {
  const seen = new Set<object>();
  const pending: Place[] = [];
  for (let index = parts.length - 1; index >= 0; index--) {
    pending.push({ value: parts[index], path: label(index), steps: 0 });
  }
  for (let place = pending.pop(); place !== undefined; place = pending.pop()) {
    const { value, path, steps } = place;
    if (value === target || (typeof value === 'number' && Object.is(value, target))) {
      return steps > SHOWN_STEPS ? `${path}… (${steps} levels down)` : path;
    }
    if (value === null || typeof value !== 'object' || seen.has(value) || seen.size > MAX_STEPS) continue;
    seen.add(value);
    const next = (child: unknown, step: string) => {
      const shown = steps >= SHOWN_STEPS ? path : `${path}${step}`;
      return { value: child, path: shown, steps: steps + 1 };
    };
    const children: Place[] = [];
    try {
      if (types.isMap(value)) {
        for (const [key, child] of value as Map<unknown, unknown>) {
          children.push(next(key, ' (a Map key)'), next(child, ' (a Map value)'));
        }
      } else if (types.isSet(value)) {
        for (const child of value as Set<unknown>) children.push(next(child, ' (a Set member)'));
      } else if (!ArrayBuffer.isView(value)) {
        const isArray = Array.isArray(value);
        const names = types.isNativeError(value) ? Object.getOwnPropertyNames(value) : Object.keys(value);
        for (const name of names) {
          const step = isArray || !IDENTIFIER.test(name) ? `[${isArray ? name : JSON.stringify(name)}]` : `.${name}`;
          children.push(next((value as Record<string, unknown>)[name], step));
        }
      }
    } catch {
      // A getter that throws: the encoder reported it already; look elsewhere.
    }
    for (let i = children.length - 1; i >= 0; i--) pending.push(children[i]);
  }
  return undefined;
}
