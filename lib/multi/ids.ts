import { describe, invalidOption, MemoirError } from '../errors';

/**
 * Where a multiCached function's ids are, and how results are shaped: the argument that holds
 * the id list (`keysFrom`: its index, or the name of a property of an options-object argument),
 * the arguments of one id (each id is cached under the key of the call for that id alone), and
 * the Map-or-record result by id.
 */
export type Id = string | number;
export type KeysFrom = number | string;

export interface IdsSite {
  /** The ids as the caller gave them (repeats included). */
  ids: Id[];
  /** The call with the id list replaced by `replacement`. */
  withIds(replacement: unknown): unknown[];
}

export function checkKeysFrom(keysFrom: unknown): KeysFrom {
  if ((typeof keysFrom === 'number' && Number.isInteger(keysFrom) && keysFrom >= 0) || (typeof keysFrom === 'string' && keysFrom !== '')) {
    return keysFrom;
  }
  throw invalidOption('keysFrom', keysFrom, 'the index of the argument holding the ids (e.g. 0), or the name of the options property holding them (e.g. "ids")');
}

function checkIds(ids: unknown, where: string): Id[] {
  if (!Array.isArray(ids)) throw new MemoirError('INVALID_ARGUMENT', `multiCached: ${where} should be an array of ids; got ${describe(ids)}.`);
  for (const id of ids) {
    if (typeof id !== 'string' && typeof id !== 'number') {
      throw new MemoirError('UNHASHABLE_ARGUMENT', `multiCached: ids are strings or numbers; ${where} holds ${describe(id)}.`);
    }
  }
  return ids as Id[];
}

/** Finds the id list in a call's arguments. */
export function locateIds(args: readonly unknown[], keysFrom: KeysFrom): IdsSite {
  if (typeof keysFrom === 'number') {
    const ids = checkIds(args[keysFrom], `argument ${keysFrom} (keysFrom)`);
    return {
      ids,
      withIds: (replacement) => {
        const copy = [...args];
        copy[keysFrom] = replacement;
        return copy;
      },
    };
  }
  const at = args.findIndex((arg) => arg !== null && typeof arg === 'object' && !Array.isArray(arg) && keysFrom in (arg as object));
  if (at < 0) throw new MemoirError('INVALID_ARGUMENT', `multiCached: no argument has a "${keysFrom}" property (keysFrom).`);
  const holder = args[at] as Record<string, unknown>;
  const ids = checkIds(holder[keysFrom], `"${keysFrom}" (keysFrom)`);
  return {
    ids,
    withIds: (replacement) => {
      const copy = [...args];
      copy[at] = { ...holder, [keysFrom]: replacement };
      return copy;
    },
  };
}

/** How the function answered: a Map by id, or a plain object by id. */
export type Shape = 'map' | 'record';

export function shapeOf(result: unknown, fnName: string): Shape {
  if (result instanceof Map) return 'map';
  if (result !== null && typeof result === 'object' && !Array.isArray(result)) return 'record';
  throw new MemoirError('INVALID_ARGUMENT', `multiCached function "${fnName}" must return a Map or a plain object by id; it returned ${describe(result)}.`);
}

/** The value the result holds for `id`, and whether it holds one at all. */
export function valueFor(result: Map<unknown, unknown> | Record<string, unknown>, id: Id): { found: boolean; value?: unknown } {
  if (result instanceof Map) {
    if (result.has(id)) return { found: true, value: result.get(id) };
    // A Map keyed by the other type (ids '1' asked, numbers 1 returned) is a common slip: accept it.
    const other = typeof id === 'string' ? Number(id) : String(id);
    return result.has(other) ? { found: true, value: result.get(other) } : { found: false };
  }
  return Object.hasOwn(result, String(id)) ? { found: true, value: result[String(id)] } : { found: false };
}

/** The answer for the requested ids, in the function's shape; ids without a value are left out. */
export function assemble(shape: Shape, ids: readonly Id[], values: ReadonlyMap<Id, unknown>): Map<Id, unknown> | Record<string, unknown> {
  if (shape === 'map') {
    const out = new Map<Id, unknown>();
    for (const id of ids) if (values.get(id) !== undefined) out.set(id, values.get(id));
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const id of ids) if (values.get(id) !== undefined) out[String(id)] = values.get(id);
  return out;
}
