/**
 * Keys are injective and value-based: for every pair of argument lists the default key
 * accepts, the keys are equal exactly when the lists hold the same values, as the oracle
 * (value-equality.ts, written from the documented semantics) says.
 *
 * Values are drawn from small alphabets on purpose, so that pairs often come close: strings
 * that spell pieces of key texts (`[`, `,`, `"`, `^1`, `~`, `Date(0)`, `[CIRCULAR:1]`...),
 * the same bytes in different binary types, 0 and -0, holes and undefined, shared references
 * and cycles. Pairs are (a) a value and a rebuilt copy (other key order, other Map and Set
 * insertion order, shared references copied apart, cycles kept): the same value; (b) a copy
 * with one confusable change (1 ↔ '1', 0 ↔ -0, a hole ↔ undefined, a Buffer ↔ a Uint8Array of
 * the same bytes, a byte of a DataView flipped...); (c) two unrelated values; (d) a value and
 * a string spelling its key text.
 */
import fc from 'fast-check';
import { defaultKey, keyText } from '../../lib/keys';
import { sameValue } from './value-equality';

/** More runs on demand, e.g. KEYS_PROPERTY_RUNS=20000 npx jest test/keys/default-key.property */
const RUNS = Number(process.env.KEYS_PROPERTY_RUNS ?? 600);

// ── values ────────────────────────────────────────────────────────────────────────────────

const confusableStrings = fc.constantFrom(
  '',
  '1',
  '-0',
  '0',
  'NaN',
  'null',
  'undefined',
  'true',
  '1n',
  '~',
  '^1',
  '^2',
  ',',
  ':',
  '"',
  '\\',
  '[',
  ']',
  '{}',
  ')',
  'Date(0)',
  'Buffer(YQ==)',
  'Dict{}',
  '[CIRCULAR:1]',
  '[CIRCULAR:2]',
  'abuffer:b',
  'buffer:c',
  'a"b',
  '\u0000',
  '\uD800',
  '\uDC00',
  '\uFFFD',
  'é',
  '😀',
  'sha256:',
);
const strings = fc.oneof(
  { weight: 4, arbitrary: confusableStrings },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', '"', ',', '[', ']', '~', '^', '1', ':'), maxLength: 6 }) },
);
const numbers = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(0, -0, 1, -1, 2, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e21, 5e-324) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer() },
);
const primitives = fc.oneof(
  { weight: 3, arbitrary: numbers },
  { weight: 3, arbitrary: strings },
  { weight: 1, arbitrary: fc.constantFrom(0n, 1n, -1n, 2n ** 64n) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined) },
);
const objectKeys = fc.constantFrom('a', 'b', '', '1', '__proto__', 'constructor', '"', 'a,b', 'x:1', 'é');

/** The same few bytes in every binary type, so that types are what tells them apart. */
const bytes = fc.constantFrom([], [97], [0, 0], [1, 0], [0, 1], [97, 98], [1, 2, 3, 4], [0, 0, 0, 0, 0, 0, 0, 0]);
const binaries = fc
  .tuple(bytes, fc.constantFrom('Buffer', 'Uint8Array', 'Int8Array', 'Uint8ClampedArray', 'Int16Array', 'Float64Array', 'DataView', 'ArrayBuffer'))
  .map(([list, type]) => binary(type, list));

function binary(type: string, list: readonly number[]): object {
  const raw = Uint8Array.from(list);
  switch (type) {
    case 'Buffer':
      return Buffer.from(raw);
    case 'DataView':
      return new DataView(raw.buffer);
    case 'ArrayBuffer':
      return raw.buffer;
    case 'Int16Array':
      return new Int16Array(raw.buffer, 0, raw.length >> 1);
    case 'Float64Array':
      return new Float64Array(raw.buffer, 0, raw.length >> 3);
    default: {
      const Type = globalThis[type as 'Uint8Array'];
      return new Type(raw.buffer);
    }
  }
}

/** Own enumerable properties defined in the given order, '__proto__' included. */
function withEntries<T extends object>(target: T, entries: readonly (readonly [string, unknown])[]): T {
  for (const [key, value] of entries) {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return target;
}

const others = fc.oneof(
  fc.constantFrom(0, -1, 86_400_000, Number.NaN).map((time) => new Date(time)),
  fc.tuple(fc.constantFrom('Error', 'TypeError'), fc.constantFrom('', 'x', 'boom')).map(([type, message]) => {
    return type === 'Error' ? new Error(message) : new TypeError(message);
  }),
  fc.tuple(fc.constantFrom('a', 'a+', '"'), fc.constantFrom('', 'g', 'gi'), fc.constantFrom(0, 1)).map(([source, flags, lastIndex]) => {
    const regexp = new RegExp(source, flags);
    regexp.lastIndex = lastIndex;
    return regexp;
  }),
  fc.constantFrom(0, -0, 1, Number.NaN).map((value) => new Number(value)),
  fc.constantFrom('', '1', 'a').map((value) => new String(value)),
  fc.boolean().map((value) => new Boolean(value)),
  fc.constantFrom('http://x/', 'http://x/?a=1', 'http://x/%22').map((href) => new URL(href)),
);

const { value: values } = fc.letrec<{ value: unknown }>((tie) => {
  const child = tie('value');
  const entries = fc.uniqueArray(fc.tuple(objectKeys, child), { maxLength: 3, selector: ([key]) => key });
  return {
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 8, arbitrary: primitives },
      { weight: 2, arbitrary: binaries },
      { weight: 2, arbitrary: others },
      { weight: 3, arbitrary: fc.array(child, { maxLength: 3 }) },
      { weight: 1, arbitrary: fc.sparseArray(child, { maxLength: 4 }) },
      { weight: 3, arbitrary: entries.map((list) => withEntries({}, list)) },
      { weight: 1, arbitrary: entries.map((list) => withEntries(Object.create(null), list)) },
      { weight: 1, arbitrary: fc.array(fc.tuple(child, child), { maxLength: 3 }).map((list) => new Map(list)) },
      { weight: 1, arbitrary: fc.array(child, { maxLength: 3 }).map((list) => new Set(list)) },
      {
        weight: 1,
        arbitrary: fc.tuple(fc.constantFrom('x', 'y'), child).map(([message, cause]) => {
          const error = new Error(message, { cause });
          return withEntries(error, [['code', 'E1']]);
        }),
      },
    ),
  };
});

/** Every array, object, Map and Set of a value, depth first (the places links can be added). */
function containers(value: unknown, found: object[] = []): object[] {
  if (value === null || typeof value !== 'object' || found.includes(value)) return found;
  if (kindIsLeaf(value)) return found;
  found.push(value);
  const children = value instanceof Map ? [...value.values()] : value instanceof Set ? [...value] : Object.values(value);
  for (const child of children) containers(child, found);
  return found;
}

const kindIsLeaf = (value: object) =>
  ArrayBuffer.isView(value) ||
  value instanceof ArrayBuffer ||
  value instanceof Date ||
  value instanceof RegExp ||
  value instanceof URL ||
  value instanceof Error ||
  value instanceof Number ||
  value instanceof String ||
  value instanceof Boolean;

/**
 * Adds references from containers to containers: shared references, and cycles. Not to or
 * from the argument list itself, which callers never hold (and which the key drops trailing
 * undefined arguments from).
 */
function link(value: unknown, links: readonly [number, number][]): unknown {
  const found = containers(value).slice(1);
  if (found.length === 0) return value;
  links.forEach(([from, to], index) => {
    const source = found[from % found.length];
    const target = found[to % found.length];
    if (Array.isArray(source)) source.push(target);
    else if (source instanceof Map) source.set(`link${index}`, target);
    else if (source instanceof Set) source.add(target);
    else withEntries(source, [[`link${index}`, target]]);
  });
  return value;
}

const linkList = fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 3 });
const argumentLists = fc
  .tuple(fc.array(values, { maxLength: 3 }), fc.oneof(fc.constant([]), linkList))
  .map(([args, links]) => link(args, links) as unknown[]);

// ── copies ────────────────────────────────────────────────────────────────────────────────

/**
 * A deep copy with fresh objects and shuffled insertion orders. A container still open is
 * referenced again (cycles stay cycles); one met again elsewhere is copied anew (a shared
 * reference becomes two equal values, which is the same argument).
 */
function rebuild(value: unknown, random: () => number, open = new Map<unknown, unknown>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (open.has(value)) return open.get(value);
  const again = (child: unknown) => rebuild(child, random, open);
  const inside = <T extends object>(copy: T, fill: () => void): T => {
    open.set(value, copy);
    fill();
    open.delete(value);
    return copy;
  };
  if (value instanceof Date) return new Date(value.getTime());
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (value instanceof DataView) return new DataView(value.buffer.slice(0));
  if (ArrayBuffer.isView(value)) return new (value.constructor as new (source: unknown) => object)(value);
  if (value instanceof ArrayBuffer) return value.slice(0);
  if (value instanceof RegExp) return Object.assign(new RegExp(value.source, value.flags), { lastIndex: value.lastIndex });
  if (value instanceof URL) return new URL(value.href);
  if (value instanceof Number) return new Number(value.valueOf());
  if (value instanceof String) return new String(value.valueOf());
  if (value instanceof Boolean) return new Boolean(value.valueOf());
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    return inside(copy, () => {
      for (let i = 0; i < value.length; i++) if (i in value) copy[i] = again(value[i]);
    });
  }
  if (value instanceof Map) {
    const copy = new Map();
    return inside(copy, () => {
      for (const [k, v] of shuffle([...value], random)) copy.set(again(k), again(v));
    });
  }
  if (value instanceof Set) {
    const copy = new Set();
    return inside(copy, () => {
      for (const member of shuffle([...value], random)) copy.add(again(member));
    });
  }
  if (value instanceof Error) {
    const copy = new (value.constructor as ErrorConstructor)(value.message);
    return inside(copy, () => {
      if ('cause' in value) Object.defineProperty(copy, 'cause', { value: again(value.cause), writable: true, configurable: true });
      withEntries(copy, Object.entries(value).map(([key, child]) => [key, again(child)] as const));
    });
  }
  const copy = Object.create(Object.getPrototypeOf(value));
  return inside(copy, () => {
    withEntries(copy, shuffle(Object.entries(value), random).map(([key, child]) => [key, again(child)] as const));
  });
}

function shuffle<T>(list: T[], random: () => number): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

/** The confusable twin of a leaf: what a sloppy key would write the same way. */
function twin(leaf: unknown): unknown {
  if (typeof leaf === 'number') return Object.is(leaf, 0) ? -0 : Object.is(leaf, -0) ? 0 : String(leaf);
  if (typeof leaf === 'string') return leaf === '' ? undefined : `${leaf}"`;
  if (typeof leaf === 'bigint') return Number(leaf);
  if (leaf === undefined) return null;
  if (leaf === null) return 'null';
  if (typeof leaf === 'boolean') return String(leaf);
  if (Buffer.isBuffer(leaf)) return new Uint8Array(leaf);
  if (leaf instanceof DataView) {
    const copy = new DataView(leaf.buffer.slice(0));
    if (copy.byteLength > 0) copy.setUint8(0, copy.getUint8(0) ^ 1);
    return copy;
  }
  if (ArrayBuffer.isView(leaf)) return Buffer.from(leaf.buffer, leaf.byteOffset, leaf.byteLength);
  if (leaf instanceof Date) return leaf.toISOString?.call(Number.isNaN(leaf.getTime()) ? new Date(0) : leaf);
  return [leaf];
}

/** Changes one place of a copy: a leaf to its twin, a hole to undefined, or two elements swapped. */
function changeOne(args: unknown[], pick: number): unknown[] {
  const places: Array<() => void> = [];
  const seen = new Set<object>();
  const walk = (holder: object) => {
    if (seen.has(holder) || kindIsLeaf(holder) || holder instanceof Map || holder instanceof Set) return;
    seen.add(holder);
    const record = holder as Record<string, unknown>;
    if (Array.isArray(holder)) {
      for (let i = 0; i < holder.length; i++) {
        if (!(i in holder)) places.push(() => (holder[i] = undefined));
      }
      if (holder.length >= 2) places.push(() => holder.reverse());
    }
    for (const key of Object.keys(holder)) {
      const child = record[key];
      if (child !== null && typeof child === 'object' && !kindIsLeaf(child)) walk(child);
      else places.push(() => (record[key] = twin(child)));
    }
  };
  walk(args);
  if (places.length === 0) return [...args, 'extra'];
  places[pick % places.length]();
  return args;
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

// ── properties ────────────────────────────────────────────────────────────────────────────

/** Argument lists are compared the way the key sees them: trailing undefineds dropped. */
const trimmed = (args: readonly unknown[]) => {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  return args.slice(0, end);
};

describe('default key: injective and value-based (property-based)', () => {
  it('gives equal keys to a value and any rebuilt copy of it', () => {
    fc.assert(
      fc.property(argumentLists, fc.nat(), (args, seed) => {
        const copy = rebuild(args, seeded(seed)) as unknown[];
        expect(sameValue(args, copy)).toBe(true); // the oracle agrees it is the same value
        expect(defaultKey(copy)).toBe(defaultKey(args));
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  });

  it('gives equal keys exactly when the oracle says the values are the same', () => {
    const pairs = fc
      .tuple(argumentLists, argumentLists, fc.constantFrom('change', 'other', 'spelled'), fc.nat())
      .map(([args, other, how, seed]) => {
        if (how === 'other') return [args, other] as const;
        if (how === 'spelled') return [args, [keyText(args).slice(1, -1)]] as const;
        return [args, changeOne(rebuild(args, seeded(seed)) as unknown[], seed)] as const;
      });
    let equalPairs = 0;
    fc.assert(
      fc.property(pairs, ([a, b]) => {
        const same = sameValue(trimmed(a), trimmed(b));
        if (same) equalPairs++;
        expect(defaultKey(a) === defaultKey(b)).toBe(same);
      }),
      { numRuns: RUNS * 2, endOnFailure: true },
    );
    // Both sides of the equivalence were exercised (equal pairs are ~1 in 20 of the random ones).
    expect(equalPairs).toBeGreaterThan(RUNS / 100);
    expect(equalPairs).toBeLessThan(RUNS);
  });

  it('never gives a text key that parses as another value: distinct key texts for distinct small values', () => {
    // Exhaustive over a small universe: every pair of distinct values gets distinct texts.
    const universe: unknown[] = [];
    fc.assert(
      fc.property(fc.array(values, { minLength: 1, maxLength: 2 }), (args) => {
        universe.push(args);
      }),
      { numRuns: 300, endOnFailure: true },
    );
    const byText = new Map<string, unknown>();
    for (const args of universe) {
      const text = keyText(args as unknown[]);
      const earlier = byText.get(text);
      if (earlier === undefined) byText.set(text, args);
      else expect(sameValue(trimmed(earlier as unknown[]), trimmed(args as unknown[]))).toBe(true);
    }
  });
});
