/**
 * Remembers the key of recently seen all-primitive argument lists, in a small trie of Maps
 * keyed by the argument values themselves.
 *
 * Why: building the key text allocates a fresh rope string, and a Map lookup with a fresh
 * rope hashes it the slow way every time; that was most of the cost of a memory-core hit.
 * A remembered key is one string object whose hash V8 has already cached.
 *
 * Sound because the trie's Maps compare arguments with SameValueZero, and two primitives it
 * finds equal always have the same key text — except 0 and -0, which it cannot tell apart
 * and the key does (`0` vs `-0`): -0 is looked up under its own stand-in, MINUS_ZERO.
 * (NaN equals NaN for both.) The trie only memoizes `compute`; it never decides equality on
 * its own.
 */
const MAX_ARITY = 3;
const MINUS_ZERO = Symbol('-0');

/** What the trie looks an argument up by: the argument, or MINUS_ZERO for -0. */
function slot(value: unknown): unknown {
  return value === 0 && 1 / value < 0 ? MINUS_ZERO : value;
}

function isPrimitive(value: unknown): boolean {
  const type = typeof value;
  return value === null || (type !== 'object' && type !== 'function');
}

export class PrimitiveKeyCache {
  private readonly roots: Array<Map<unknown, unknown>> = [];
  private noArgsKey: string | undefined;
  private size = 0;

  /** `limit` bounds the remembered keys; past it the cache starts over. */
  constructor(private readonly limit = 10_000) {
    for (let arity = 0; arity <= MAX_ARITY; arity++) this.roots.push(new Map());
  }

  keyFor(args: readonly unknown[], compute: (args: readonly unknown[]) => string): string {
    let arity = args.length;
    while (arity > 0 && args[arity - 1] === undefined) arity--;
    if (arity === 0) {
      this.noArgsKey ??= compute(args);
      return this.noArgsKey;
    }
    if (arity > MAX_ARITY) return compute(args);
    let node = this.roots[arity];
    for (let i = 0; i < arity - 1; i++) {
      const arg = args[i];
      if (!isPrimitive(arg)) return compute(args);
      let next = node.get(slot(arg)) as Map<unknown, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(slot(arg), next);
      }
      node = next;
    }
    const last = args[arity - 1];
    if (!isPrimitive(last)) return compute(args);
    let key = node.get(slot(last)) as string | undefined;
    if (key === undefined) {
      key = compute(args); // throws for symbols, which are then never remembered
      if (++this.size > this.limit) this.clear();
      node.set(slot(last), key);
    }
    return key;
  }

  clear(): void {
    for (const root of this.roots) root.clear();
    this.noArgsKey = undefined;
    this.size = 0;
  }
}
