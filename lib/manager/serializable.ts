import { types } from 'node:util';
import { v8Serializer } from '../contract';

/**
 * Whether node:v8 can serialize `value`, checked at `set` so an unsavable value is refused
 * there: throws what v8 throws when it cannot.
 *
 * Serializing is the only faithful test, and it costs 5-20x a Map set for a small object.
 * Most values are plain data, so a quick walk first accepts what is certainly serializable
 * (primitives but symbols, plain objects, arrays, Dates, Maps, Sets, typed arrays, without
 * proxies) and only hands anything else (functions, symbols, class instances, cycles, very
 * large values) to v8 for the verdict. The walk never rejects: a wrong "unsure" costs time,
 * never a value.
 */
export function assertSerializable(value: unknown): void {
  if (surelySerializable(value, { left: WALK_BUDGET })) return;
  v8Serializer.serialize(value);
}

/** Values visited before the walk gives up (cycles and big values go to v8). */
const WALK_BUDGET = 2_000;

function surelySerializable(value: unknown, budget: { left: number }): boolean {
  if (--budget.left < 0) return false;
  const type = typeof value;
  if (type !== 'object') {
    // functions and symbols are left to v8, which says why it cannot
    return type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint' || type === 'undefined';
  }
  if (value === null) return true;
  const proto = Object.getPrototypeOf(value);
  if (proto === Array.prototype) {
    const array = value as unknown[];
    // v8 also writes an array's named properties; holes and extra keys are left to it.
    if (types.isProxy(value) || Object.keys(array).length !== array.length) return false;
    for (let i = 0; i < array.length; i++) if (!surelySerializable(array[i], budget)) return false;
    return true;
  }
  if (proto === Object.prototype || proto === null) {
    if (types.isProxy(value)) return false;
    for (const key in value) {
      if (!surelySerializable((value as Record<string, unknown>)[key], budget)) return false;
    }
    return true;
  }
  if (proto === Date.prototype || ArrayBuffer.isView(value)) return !types.isProxy(value);
  if (proto === Map.prototype && types.isMap(value)) {
    for (const [key, entry] of value as Map<unknown, unknown>) {
      if (!surelySerializable(key, budget) || !surelySerializable(entry, budget)) return false;
    }
    return true;
  }
  if (proto === Set.prototype && types.isSet(value)) {
    for (const entry of value as Set<unknown>) if (!surelySerializable(entry, budget)) return false;
    return true;
  }
  return false;
}
