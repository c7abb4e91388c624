/**
 * Telling built-in objects from look-alikes, across realms.
 *
 * The key accepts a Map, a Date or a Uint8Array by content, but not an instance of a subclass
 * of them (a subclass can hold state the key cannot see) nor an object that only claims to be
 * one (`Symbol.toStringTag`, a prototype borrowed with Object.create). So the checks here rest
 * on internal slots (`util.types`, or a built-in method called on the object) and on the
 * prototype being a built-in's own `prototype`. Objects from another realm (a `vm` context,
 * Jest's sandbox, where Node's own modules build objects in the main realm) carry that realm's
 * built-in prototypes: a prototype counts as built-in when its `constructor` is a native
 * function of the expected name whose `prototype` it is.
 */
const NATIVE_SOURCE = /\{\s*\[native code\]\s*\}\s*$/;
const functionSource = Function.prototype.toString;

/** True when `prototype` is the `prototype` of the built-in constructor `name`, of any realm. */
export function isBuiltinPrototype(prototype: object | null, name: string): boolean {
  if (prototype === null) return false;
  const local = (globalThis as Record<string, unknown>)[name] as { prototype?: unknown } | undefined;
  if (local !== undefined && local.prototype === prototype) return true;
  const maker = Object.getOwnPropertyDescriptor(prototype, 'constructor')?.value;
  return (
    typeof maker === 'function' &&
    maker.name === name &&
    maker.prototype === prototype &&
    NATIVE_SOURCE.test(functionSource.call(maker))
  );
}

/** The name to show for an object's class: its constructor's name, if it has a usable one. */
export function className(prototype: object | null): string {
  if (prototype === null) return 'null-prototype object';
  const maker = Object.getOwnPropertyDescriptor(prototype, 'constructor')?.value;
  const name = typeof maker === 'function' ? maker.name : undefined;
  return typeof name === 'string' && name !== '' ? name : 'an anonymous class';
}

/** The built-in error constructors whose instances the key accepts. */
export const ERROR_TYPES = [
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
  'AggregateError',
] as const;

/** The name of the built-in error type `prototype` belongs to, or undefined. */
export function errorType(prototype: object | null): string | undefined {
  return ERROR_TYPES.find((name) => isBuiltinPrototype(prototype, name));
}
