/**
 * A cheap structural snapshot of an argument list, to tell whether a new list holds the same
 * values as the one a key was last built for — without building the key again.
 *
 * Why: most calls of a memoized function repeat the arguments of the call before (a loop, a
 * render, a request handler), usually as fresh but equal objects. Encoding them (encoder.ts)
 * sorts keys, writes and hashes a string; comparing them against a snapshot only reads them.
 *
 * Sound because the snapshot records everything the encoder reads of the values it covers,
 * and covers only values the encoder reads in a fixed way: primitives (compared as the key
 * tells them apart: -0 is not 0), plain objects (prototype Object.prototype: their own
 * enumerable string keys in order and each key's value, and no symbol-keyed property at all)
 * and arrays (prototype Array.prototype, no holes, no properties besides the elements, no
 * symbols). Two lists that read the same under those rules have the same key text, since the
 * encoder's text is a function of exactly what was read. Anything else (Dates, Maps, class
 * instances, null-prototype objects, cycles, big trees) is not snapshotted: those calls build
 * their key every time. A snapshot holds primitives and key names only, never a reference to
 * an argument, so a mutated argument is compared by its new content, and nothing is pinned.
 */

/** Markers on the tape: objects, so that no primitive argument can ever equal one. */
const OBJECT = { tape: 'object' };
const ARRAY = { tape: 'array' };

/** Past this many tape cells an argument list is not worth snapshotting (and a cycle ends here). */
const MAX_CELLS = 256;

/** An argument list read out flat: its length, then each value (markers, counts, keys, primitives). */
export type Snapshot = readonly unknown[];

const keysOf = Object.keys;
const symbolsOf = Object.getOwnPropertySymbols;
const prototypeOf = Object.getPrototypeOf;
const isArray = Array.isArray;

/** The snapshot of `args`, or undefined when one of them is not covered (see above). */
export function snapshotArgs(args: readonly unknown[]): Snapshot | undefined {
  const tape: unknown[] = [args.length];
  for (let i = 0; i < args.length; i++) if (!record(tape, args[i])) return undefined;
  return tape;
}

function record(tape: unknown[], value: unknown): boolean {
  if (tape.length > MAX_CELLS) return false;
  if (typeof value !== 'object' || value === null) {
    // Symbols and functions have no key; the encoder refuses them before a snapshot is taken.
    if (typeof value === 'symbol' || typeof value === 'function') return false;
    tape.push(value);
    return true;
  }
  const prototype = prototypeOf(value);
  if (prototype === Object.prototype) {
    if (symbolsOf(value).length > 0) return false;
    const keys = keysOf(value);
    tape.push(OBJECT, keys.length);
    for (let k = 0; k < keys.length; k++) {
      tape.push(keys[k]);
      if (!record(tape, (value as Record<string, unknown>)[keys[k]])) return false;
    }
    return true;
  }
  if (prototype === Array.prototype && isArray(value)) {
    const length = value.length;
    if (keysOf(value).length !== length || symbolsOf(value).length > 0) return false;
    tape.push(ARRAY, length);
    for (let i = 0; i < length; i++) {
      const item = value[i];
      if (item === undefined && !(i in value)) return false;
      if (!record(tape, item)) return false;
    }
    return true;
  }
  return false;
}

/** Whether `args` reads exactly as the list `snapshot` was taken of. */
export function matchesSnapshot(snapshot: Snapshot, args: readonly unknown[]): boolean {
  if (snapshot[0] !== args.length) return false;
  let at = 1;
  for (let i = 0; i < args.length; i++) {
    const value = args[i];
    // Primitives inline (the common list), so that a primitive call needs no recursion.
    if (typeof value !== 'object' || value === null) {
      const expected = snapshot[at++];
      if (value !== expected || (value === 0 && 1 / value !== 1 / (expected as number))) return false;
    } else {
      at = match(snapshot, at, value);
      if (at < 0) return false;
    }
  }
  return true;
}

/** The tape position after `value` when it matches the tape at `at`; -1 when it does not. */
function match(tape: Snapshot, at: number, value: unknown): number {
  const expected = tape[at];
  if (typeof value !== 'object' || value === null) {
    // === tells 0 from -0 not apart, the key does. (NaN never matches: such calls rebuild.)
    return value === expected && (value !== 0 || 1 / value === 1 / (expected as number)) ? at + 1 : -1;
  }
  if (expected === OBJECT) {
    if (prototypeOf(value) !== Object.prototype) return -1;
    const keys = keysOf(value);
    if (tape[at + 1] !== keys.length) return -1;
    at += 2;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      if (tape[at] !== key) return -1;
      at = match(tape, at + 1, (value as Record<string, unknown>)[key]);
      if (at < 0) return -1;
    }
    return symbolsOf(value).length === 0 ? at : -1;
  }
  if (expected === ARRAY) {
    if (!isArray(value) || prototypeOf(value) !== Array.prototype) return -1;
    const length = value.length;
    if (tape[at + 1] !== length) return -1;
    at += 2;
    for (let i = 0; i < length; i++) {
      const item = value[i];
      if (item === undefined && !(i in value)) return -1;
      at = match(tape, at, item);
      if (at < 0) return -1;
    }
    return keysOf(value).length === length && symbolsOf(value).length === 0 ? at : -1;
  }
  return -1;
}

/**
 * What an argument list read as, kept to compare later lists with: the list itself when it
 * held primitives only, none of them zero (the common case, compared without a walk), else
 * its snapshot. Never changes once made, so a holder may keep it beside the key it stands for.
 */
export class ArgumentsImage {
  private constructor(
    private readonly primitives: readonly unknown[] | undefined,
    private readonly snapshot: Snapshot,
  ) {}

  /** The image of `args`, or undefined when the list is not covered (see the top of this file). */
  static of(args: readonly unknown[]): ArgumentsImage | undefined {
    let snapshot: Snapshot | undefined;
    try {
      snapshot = snapshotArgs(args);
    } catch {
      return undefined; // a getter that throws: such lists build their key each time
    }
    if (snapshot === undefined) return undefined;
    return new ArgumentsImage(primitivesButZero(args) ? [...args] : undefined, snapshot);
  }

  /** Whether `args` reads as the list this image was made of. */
  matches(args: readonly unknown[]): boolean {
    const primitives = this.primitives;
    if (primitives === undefined) return readsAs(this.snapshot, args);
    // Plain ===: the list holds no zero, so -0 and 0 cannot meet here. Short lists unrolled:
    // each comparison then learns its own argument's type, and stays fast.
    const count = args.length;
    if (primitives.length !== count) return false;
    switch (count) {
      case 1:
        return args[0] === primitives[0];
      case 2:
        return args[0] === primitives[0] && args[1] === primitives[1];
      case 3:
        return args[0] === primitives[0] && args[1] === primitives[1] && args[2] === primitives[2];
    }
    for (let i = 0; i < count; i++) if (args[i] !== primitives[i]) return false;
    return true;
  }
}

/**
 * The key of the last argument list seen, reused while the arguments read the same. One per
 * memoized function: a repeated call costs a comparison instead of a key.
 */
export class LastArgumentsKey {
  /** The last list's image (undefined: not covered, skipped, or none yet) and key. */
  image: ArgumentsImage | undefined;
  key = '';
  /** Whether a call reused the current image. */
  private reused = false;
  /** Images in a row that no call reused. */
  private wasted = 0;
  /** Calls left that make no image. */
  private skip = 0;

  keyFor(args: readonly unknown[], compute: (args: readonly unknown[]) => string): string {
    const image = this.image;
    if (image !== undefined) {
      if (image.matches(args)) {
        this.reused = true;
        return this.key;
      }
      this.image = undefined;
      this.wasted = this.reused ? 0 : this.wasted + 1;
      // Calls that rarely repeat the last list (many keys in turn) would pay for an image on
      // every call and never use one: after two wasted images in a row, make none for a
      // while, twice as long each time (at most MAX_SKIP calls), then try again.
      if (this.wasted >= 2) this.skip = Math.min(2 ** this.wasted, MAX_SKIP);
    }
    const key = compute(args); // throws for an unkeyable list, which is then never imaged
    this.key = key;
    if (this.skip > 0) {
      this.skip--;
    } else {
      this.image = ArgumentsImage.of(args);
      this.reused = false;
    }
    return key;
  }

  clear(): void {
    this.image = undefined;
    this.key = '';
  }
}

/** The longest run of calls that make no image, once images went unused. */
const MAX_SKIP = 256;

/** Primitives, none of them a zero (=== cannot tell 0 from -0; the key does). */
function primitivesButZero(args: readonly unknown[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const value = args[i];
    if ((typeof value === 'object' && value !== null) || value === 0) return false;
  }
  return true;
}

/** A comparison that throws (a getter) is no match: the encoder then meets the error itself. */
function readsAs(snapshot: Snapshot, args: readonly unknown[]): boolean {
  try {
    return matchesSnapshot(snapshot, args);
  } catch {
    return false;
  }
}
