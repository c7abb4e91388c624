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
 *
 * Each list's key sits in a leaf, where its user may also note what the key last found
 * (the engine's general hit path, lib/engine/memo.ts): a leaf stands for one key text, so
 * whatever is noted there is about that key.
 */
const MAX_ARITY = 3;
const MINUS_ZERO = Symbol('-0');

/** One remembered argument list: its key, and the last hit on that key (noted by the engine). */
export class KeyLeaf {
  /** The store's revision when the hit was noted; -1: nothing noted. */
  revision = -1;
  /** The hit entry's time, and the answer it gave. */
  time = 0;
  answer: unknown = undefined;

  constructor(readonly key: string) {}
}

/** What the trie looks an argument up by: the argument, or MINUS_ZERO for -0. */
function slot(value: unknown): unknown {
  return value === 0 && 1 / value < 0 ? MINUS_ZERO : value;
}

function isPrimitive(value: unknown): boolean {
  const type = typeof value;
  return value === null || (type !== 'object' && type !== 'function');
}

/** How many arguments count: trailing undefined ones do not (the key leaves them out too). */
function arityOf(args: readonly unknown[]): number {
  let arity = args.length;
  while (arity > 0 && args[arity - 1] === undefined) arity--;
  return arity;
}

export class PrimitiveKeyCache {
  private readonly roots: Array<Map<unknown, unknown>> = [];
  private noArgs: KeyLeaf | undefined;
  private size = 0;
  /** The leaf of the last `keyFor` answered from (or added to) the trie; undefined: none. */
  lastLeaf: KeyLeaf | undefined;

  /** `limit` bounds the remembered keys; past it the cache starts over. */
  constructor(private readonly limit = 10_000) {
    for (let arity = 0; arity <= MAX_ARITY; arity++) this.roots.push(new Map());
  }

  keyFor(args: readonly unknown[], compute: (args: readonly unknown[]) => string): string {
    this.lastLeaf = undefined;
    const arity = arityOf(args);
    if (arity === 0) {
      this.noArgs ??= new KeyLeaf(compute(args));
      this.lastLeaf = this.noArgs;
      return this.noArgs.key;
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
    let leaf = node.get(slot(last)) as KeyLeaf | undefined;
    if (leaf === undefined) {
      leaf = new KeyLeaf(compute(args)); // throws for symbols, which are then never remembered
      if (++this.size > this.limit) this.clear();
      node.set(slot(last), leaf);
    }
    this.lastLeaf = leaf;
    return leaf.key;
  }

  /**
   * The leaf of `args` when the trie holds one, without computing or adding anything. Reads
   * only: an argument that is not in the trie (an object, a new value) finds none.
   */
  find(args: readonly unknown[]): KeyLeaf | undefined {
    const arity = arityOf(args);
    // Two arguments, the common case, without the loop.
    if (arity === 2) {
      const next = this.roots[2].get(slot(args[0])) as Map<unknown, unknown> | undefined;
      return next === undefined ? undefined : (next.get(slot(args[1])) as KeyLeaf | undefined);
    }
    if (arity === 0) return this.noArgs;
    if (arity > MAX_ARITY) return undefined;
    let node: Map<unknown, unknown> | undefined = this.roots[arity];
    for (let i = 0; i < arity - 1 && node !== undefined; i++) node = node.get(slot(args[i])) as Map<unknown, unknown> | undefined;
    return node?.get(slot(args[arity - 1])) as KeyLeaf | undefined;
  }

  clear(): void {
    for (const root of this.roots) root.clear();
    this.noArgs = undefined;
    this.lastLeaf = undefined;
    this.size = 0;
  }
}
