import type { Document } from 'bson';
import { getPath } from './store-paths';

/**
 * A compiled matcher for the plain filters the mongo core sends (equality, `$eq`, `$ne`,
 * `$exists`, numeric/string ranges, `$not` of a range, `$or`/`$and`). mingo compiles a query
 * with its whole operator context each time, which made every stand-in lookup cost ~0.1 ms;
 * this keeps the hot path cheap. Anything else (or an array along a path, where MongoDB's
 * "any element matches" rules apply) returns undefined and the caller falls back to mingo.
 */
type Verdict = boolean | undefined;
type Predicate = (doc: Document) => Verdict;

const isScalar = (value: unknown) =>
  value === null || ['string', 'number', 'boolean'].includes(typeof value);

function compare(op: string, value: unknown, bound: unknown): boolean {
  // MongoDB compares within a type bracket only: a string is never $gt a number.
  if (typeof value !== typeof bound || value === null) return false;
  const a = value as number | string;
  const b = bound as number | string;
  switch (op) {
    case '$gt':
      return a > b;
    case '$gte':
      return a >= b;
    case '$lt':
      return a < b;
    default:
      return a <= b;
  }
}

const RANGE = ['$gt', '$gte', '$lt', '$lte'];
const isRangeBound = (bound: unknown) => typeof bound === 'number' || typeof bound === 'string';

/** A test of one field's value, or undefined when the condition is beyond this matcher. */
function fieldTest(condition: unknown): ((value: unknown) => boolean) | undefined {
  const equals = (expected: unknown) => (value: unknown) =>
    expected === null ? value === null || value === undefined : value === expected;
  if (isScalar(condition)) return equals(condition);
  if (typeof condition !== 'object' || Array.isArray(condition)) return undefined;
  const tests: Array<(value: unknown) => boolean> = [];
  for (const [op, operand] of Object.entries(condition as Document)) {
    if (op === '$eq' && isScalar(operand)) tests.push(equals(operand));
    else if (op === '$ne' && isScalar(operand)) {
      const eq = equals(operand);
      tests.push((value) => !eq(value));
    } else if (op === '$exists') tests.push((value) => (value !== undefined) === Boolean(operand));
    else if (RANGE.includes(op) && isRangeBound(operand))
      tests.push((value) => compare(op, value, operand));
    else if (op === '$not') {
      const inner = fieldTest(operand);
      if (!inner || typeof operand !== 'object' || operand === null) return undefined;
      tests.push((value) => !inner(value));
    } else return undefined;
  }
  return (value) => tests.every((test) => test(value));
}

export function compileFilter(filter: Document): Predicate | undefined {
  const parts: Predicate[] = [];
  for (const [field, condition] of Object.entries(filter)) {
    if (field === '$or' || field === '$and') {
      if (!Array.isArray(condition)) return undefined;
      const branches = condition.map((branch: Document) => compileFilter(branch));
      if (branches.some((branch) => !branch)) return undefined;
      parts.push(combine(branches as Predicate[], field === '$or'));
      continue;
    }
    if (field.startsWith('$')) return undefined;
    const test = fieldTest(condition);
    if (!test) return undefined;
    parts.push((doc) => {
      if (field.includes('.') ? pathHasArray(doc, field) : Array.isArray(doc[field]))
        return undefined;
      return test(getPath(doc, field));
    });
  }
  return combine(parts, false);
}

function combine(parts: Predicate[], any: boolean): Predicate {
  return (doc) => {
    for (const part of parts) {
      const verdict = part(doc);
      if (verdict === undefined) return undefined;
      if (verdict === any) return any;
    }
    return !any;
  };
}

function pathHasArray(doc: Document, path: string): boolean {
  let current: unknown = doc;
  for (const part of path.split('.')) {
    if (Array.isArray(current)) return true;
    if (current === null || typeof current !== 'object') return false;
    current = (current as Document)[part];
  }
  return Array.isArray(current);
}
