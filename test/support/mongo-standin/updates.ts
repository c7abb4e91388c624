import type { Document } from 'bson';
import { update as mingoUpdate } from 'mingo';
import { CommandError, badValue } from './errors';
import { cloneDocument } from './store';
import { getPath, setPath, unsetPath } from './store-paths';

/**
 * Update semantics on top of mingo's operators. mingo has neither `$setOnInsert` nor upsert,
 * so both live here: an upsert seeds the new document from the filter's equality clauses,
 * then applies the update with `$setOnInsert` promoted to `$set`.
 */
const isOperatorUpdate = (update: Document) =>
  Object.keys(update).some((key) => key.startsWith('$'));

/** The updated copy of `doc`, plus whether anything changed. `doc` itself is not touched. */
export function applyUpdate(
  doc: Document,
  update: Document | Document[],
  options: { inserting?: boolean; arrayFilters?: Document[] } = {},
): { doc: Document; changed: boolean } {
  if (Array.isArray(update)) throw badValue('the stand-in does not support pipeline updates');
  const next = cloneDocument(doc);
  if (!isOperatorUpdate(update)) {
    // A replacement keeps only the _id of the original.
    const replaced = { _id: doc._id, ...cloneDocument(update) };
    if (doc._id === undefined) delete replaced._id;
    return { doc: replaced, changed: true };
  }
  const { $setOnInsert, ...operators } = update;
  const modifier: Document = { ...operators };
  if (options.inserting && $setOnInsert)
    modifier.$set = { ...$setOnInsert, ...(modifier.$set ?? {}) };
  const simple = applySimpleOperators(next, modifier);
  let changed: string[] = simple === undefined ? [] : simple ? ['(simple)'] : [];
  if (simple === undefined && Object.keys(modifier).length > 0) {
    try {
      changed = mingoUpdate(next, modifier, options.arrayFilters, undefined, { cloneMode: 'none' });
    } catch (error) {
      throw badValue((error as Error).message);
    }
  }
  if (doc._id !== undefined && next._id !== doc._id && String(next._id) !== String(doc._id)) {
    throw new CommandError(
      66,
      'ImmutableField',
      "Performing an update on the path '_id' would modify the immutable field '_id'",
    );
  }
  return { doc: next, changed: changed.length > 0 };
}

/**
 * $set, $unset and $inc applied directly: they are all the mongo core uses, and mingo's
 * updater rebuilds its operator context on every call (~0.3 ms). Returns whether anything
 * changed, or undefined for any other operator, which then goes to mingo.
 */
function applySimpleOperators(doc: Document, modifier: Document): boolean | undefined {
  const supported = ['$set', '$unset', '$inc'];
  if (!Object.keys(modifier).every((op) => supported.includes(op))) return undefined;
  let changed = false;
  for (const [path, value] of Object.entries(modifier.$set ?? {})) {
    const before = getPath(doc, path);
    if (before === value && (value === null || typeof value !== 'object')) continue;
    setPath(doc, path, value);
    changed = true;
  }
  for (const path of Object.keys(modifier.$unset ?? {})) changed = unsetPath(doc, path) || changed;
  for (const [path, amount] of Object.entries(modifier.$inc ?? {})) {
    const before = getPath(doc, path) ?? 0;
    if (typeof before !== 'number' || typeof amount !== 'number') {
      throw new CommandError(
        14,
        'TypeMismatch',
        `Cannot apply $inc to a value of non-numeric type at '${path}'`,
      );
    }
    setPath(doc, path, before + amount);
    changed = changed || amount !== 0;
  }
  return changed;
}

/** The document an upsert starts from: the filter's top-level (and `$and`) equality fields. */
export function seedFromFilter(filter: Document): Document {
  const seed: Document = {};
  const visit = (clause: Document) => {
    for (const [field, condition] of Object.entries(clause)) {
      if (field === '$and' && Array.isArray(condition)) {
        for (const part of condition) visit(part);
        continue;
      }
      if (field.startsWith('$')) continue; // $or, $nor, $expr... pin nothing
      const value = equalityOf(condition);
      if (value.pinned) setPath(seed, field, value.value);
    }
  };
  visit(filter);
  return seed;
}

function equalityOf(condition: unknown): { pinned: boolean; value?: unknown } {
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) {
    return { pinned: true, value: condition };
  }
  const keys = Object.keys(condition);
  if (keys.length === 0 || !keys[0].startsWith('$')) return { pinned: true, value: condition };
  if (keys.length === 1 && keys[0] === '$eq')
    return { pinned: true, value: (condition as Document).$eq };
  return { pinned: false };
}

/** The document an upsert inserts when nothing matched `filter`. */
export function upsertDocument(filter: Document, update: Document | Document[]): Document {
  const seed = seedFromFilter(filter);
  if (!Array.isArray(update) && !isOperatorUpdate(update)) {
    return seed._id === undefined
      ? cloneDocument(update)
      : { _id: seed._id, ...cloneDocument(update) };
  }
  return applyUpdate(seed, update, { inserting: true }).doc;
}
