/**
 * Key semantics are object-hash's: the default key function must put two argument lists in the
 * same key exactly when object-hash gives them the same hash. object-hash is the oracle here.
 *
 * (a) For every generated argument list, the key text is compressKeyText of the bytes
 *     object-hash digests (captured from its stream independently of lib/keys/default-key.ts), expands back
 *     to those bytes, and those bytes' SHA-1 is object-hash's own result.
 * (b) For pairs — a value and a rebuilt clone (shuffled object keys, shuffled Map/Set insertion
 *     order, fresh copies), a clone object-hash cannot tell apart (-0 for 0, U+FFFD for a lone
 *     surrogate), a clone with one leaf changed, and an unrelated value — keys are equal exactly
 *     when object-hash's hashes are.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import objectHash from 'object-hash';
import {
  compressKeyText,
  expandKeyText,
  OBJECT_FUNCTION,
  OBJECT_PROTOTYPE,
} from '../../lib/keys/compression';
import { fastSerializeUncompressed } from '../../lib/keys/serializer';
import { defaultKey, keyText, normalizeArgs } from '../../lib/keys/default-key';

/** The bytes object-hash digests for `args`, one character per byte. */
function oracleText(args: readonly unknown[]): string {
  const chunks: Buffer[] = [];
  const stream = {
    write: (chunk: string | Buffer) => {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
    },
  };
  objectHash.writeToStream(args, {}, stream as unknown as NodeJS.WritableStream);
  return Buffer.concat(chunks).toString('latin1');
}

class Point {
  constructor(
    public x: unknown,
    public y: unknown,
  ) {}
}

class Bag {
  [key: string]: unknown;
}

// ── values ────────────────────────────────────────────────────────────────────────────────

const loneSurrogates = fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uFFFD');
const trickyStrings = fc.constantFrom(
  '',
  '1',
  '-0',
  '0',
  'NaN',
  'Infinity',
  '1e+21',
  '0x10',
  ' 7',
  'true',
  'null',
  'undefined',
  '1970-01-01T00:00:00.000Z',
  '[CIRCULAR:0]',
  '[CIRCULAR:3]',
  '[native]',
  'string:1:a',
  'number:1',
  'é',
  '😀',
  '\u0100',
  OBJECT_FUNCTION,
  OBJECT_PROTOTYPE,
  `object:4:string:9:prototype:Undefined,string:9:__proto__:${OBJECT_PROTOTYPE}`,
);
const strings = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 2, arbitrary: trickyStrings },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  {
    weight: 1,
    arbitrary: fc.string({ unit: fc.oneof(loneSurrogates, fc.constantFrom('a', '[', ':', 'é')) }),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 25, maxLength: 60, unit: 'binary-ascii' }) },
);
const numbers = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e21),
);
const primitives = fc.oneof(
  { weight: 3, arbitrary: numbers },
  { weight: 3, arbitrary: strings },
  { weight: 1, arbitrary: fc.bigInt() },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined) },
);
const keys = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 4 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('prototype', 'constructor', '__proto__', '1', '01', 'a['),
  },
);
const dates = fc.oneof(
  fc.date(),
  fc.integer({ min: -8.64e15, max: 8.64e15 }).map((time) => new Date(time)),
  fc.constant(new Date(Number.NaN)),
  // A Date whose toJSON says something else: object-hash writes whatever it returns.
  fc
    .constantFrom('é[', 'x', '')
    .map((json) => Object.defineProperty(new Date(0), 'toJSON', { value: () => json })),
);
const byteArrays = fc.oneof(
  fc.uint8Array({ maxLength: 6 }).map((bytes) => Buffer.from(bytes)),
  strings.map((text) => Buffer.from(text)),
  fc.uint8Array({ maxLength: 4 }),
  fc.int16Array({ maxLength: 3 }),
  fc.float64Array({ maxLength: 3 }),
);

/** Own enumerable properties defined in the given order, '__proto__' included. */
function withEntries<T extends object>(
  target: T,
  entries: readonly (readonly [string, unknown])[],
): T {
  for (const [key, value] of entries) {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return target;
}

const { value: values } = fc.letrec<{ value: unknown }>((tie) => {
  const child = tie('value');
  const entries = fc.uniqueArray(fc.tuple(keys, child), { maxLength: 4, selector: ([key]) => key });
  return {
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 6, arbitrary: primitives },
      { weight: 1, arbitrary: dates },
      { weight: 1, arbitrary: byteArrays },
      { weight: 2, arbitrary: fc.array(child, { maxLength: 4 }) },
      { weight: 1, arbitrary: fc.sparseArray(child, { maxLength: 5 }) },
      { weight: 3, arbitrary: entries.map((list) => withEntries({}, list)) },
      { weight: 1, arbitrary: entries.map((list) => withEntries(Object.create(null), list)) },
      { weight: 1, arbitrary: fc.tuple(child, child).map(([x, y]) => new Point(x, y)) },
      { weight: 1, arbitrary: entries.map((list) => withEntries(new Bag(), list)) },
      {
        weight: 1,
        arbitrary: fc.array(fc.tuple(child, child), { maxLength: 3 }).map((list) => new Map(list)),
      },
      { weight: 1, arbitrary: fc.array(child, { maxLength: 3 }).map((list) => new Set(list)) },
    ),
  };
});

/** Every array, object and Map of a value, depth first (the places links can be added). */
function containers(value: unknown, found: object[] = []): object[] {
  if (value === null || typeof value !== 'object' || found.includes(value)) return found;
  if (ArrayBuffer.isView(value) || value instanceof Date) return found;
  found.push(value);
  const children =
    value instanceof Map
      ? [...value.values()]
      : value instanceof Set
        ? [...value]
        : Object.values(value);
  for (const child of children) containers(child, found);
  return found;
}

/** Adds references from containers to containers: shared references, and cycles. */
function link(value: unknown, links: readonly [number, number][]): unknown {
  const found = containers(value);
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
  .map(([args, links]) => {
    link(args, links);
    return args;
  });

// ── clones ────────────────────────────────────────────────────────────────────────────────

type Twist = 'same' | 'alias' | 'change';

/** A deep copy with fresh objects and shuffled insertion orders; cycles and sharing kept. */
function rebuild(
  value: unknown,
  random: () => number,
  twist: Twist,
  memo = new Map<unknown, unknown>(),
): unknown {
  if (typeof value === 'number') {
    if (twist === 'alias' && Object.is(value, -0)) return 0;
    return value;
  }
  if (typeof value === 'string') return twist === 'alias' ? value.toWellFormed() : value;
  if (value === null || typeof value !== 'object') return value;
  if (memo.has(value)) return memo.get(value);
  const again = (child: unknown) => rebuild(child, random, twist, memo);
  if (value instanceof Date) return new Date(value.getTime());
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) {
    const TypedArray = value.constructor as new (source: ArrayBufferView) => unknown;
    return new TypedArray(value);
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    memo.set(value, copy);
    for (let i = 0; i < value.length; i++) if (i in value) copy[i] = again(value[i]);
    return copy;
  }
  if (value instanceof Map) {
    const copy = new Map();
    memo.set(value, copy);
    for (const [k, v] of shuffle([...value], random)) copy.set(again(k), again(v));
    return copy;
  }
  if (value instanceof Set) {
    const copy = new Set();
    memo.set(value, copy);
    for (const member of shuffle([...value], random)) copy.add(again(member));
    return copy;
  }
  const copy = Object.create(Object.getPrototypeOf(value));
  memo.set(value, copy);
  const entries = shuffle(Object.entries(value), random);
  return withEntries(
    copy,
    entries.map(([key, child]) => [key, again(child)] as const),
  );
}

function shuffle<T>(list: T[], random: () => number): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

/** Changes one primitive leaf somewhere (or appends an argument when there is none). */
function changeOneLeaf(args: unknown[], pick: number): unknown[] {
  const leaves: { holder: Record<string, unknown>; key: string }[] = [];
  const seen = new Set<object>();
  const walk = (holder: Record<string, unknown>) => {
    if (seen.has(holder) || ArrayBuffer.isView(holder) || holder instanceof Date) return;
    seen.add(holder);
    for (const key of Object.keys(holder)) {
      const child = holder[key];
      if (child !== null && typeof child === 'object') walk(child as Record<string, unknown>);
      else leaves.push({ holder, key });
    }
  };
  walk(args as unknown as Record<string, unknown>);
  if (leaves.length === 0) return [...args, 'extra'];
  const { holder, key } = leaves[pick % leaves.length];
  holder[key] = typeof holder[key] === 'number' ? `${holder[key]}` : 1;
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

/** More runs on demand, e.g. KEYS_PROPERTY_RUNS=20000 npx jest test/keys.property */
const RUNS = Number(process.env.KEYS_PROPERTY_RUNS ?? 500);

// ── properties ────────────────────────────────────────────────────────────────────────────

describe('default key vs object-hash (property-based)', () => {
  it('is compressKeyText of the exact bytes object-hash digests', () => {
    fc.assert(
      fc.property(argumentLists, (args) => {
        const normalized = normalizeArgs(args);
        const oracle = oracleText(normalized);
        // The oracle text is what object-hash digests: its SHA-1 is object-hash's result.
        expect(createHash('sha1').update(oracle, 'latin1').digest('hex')).toBe(
          objectHash(normalized),
        );
        const text = keyText(args);
        expect(text).toBe(compressKeyText(oracle));
        expect(expandKeyText(text)).toBe(oracle);
        const uncompressed = fastSerializeUncompressed(normalized);
        if (uncompressed !== undefined) expect(uncompressed).toBe(oracle);
        const key = defaultKey(args);
        expect(key).toBe(
          text.length > 400 ? `sha1:${createHash('sha1').update(text).digest('hex')}` : text,
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('gives equal keys exactly when object-hash gives equal hashes', () => {
    const pairs = fc
      .tuple(
        argumentLists,
        argumentLists,
        fc.constantFrom<Twist | 'other'>('same', 'alias', 'change', 'other'),
        fc.nat(),
      )
      .map(([args, other, twist, seed]) => {
        if (twist === 'other') return [args, other] as const;
        const clone = rebuild(args, seeded(seed), twist) as unknown[];
        return [args, twist === 'change' ? changeOneLeaf(clone, seed) : clone] as const;
      });
    let equalPairs = 0;
    fc.assert(
      fc.property(pairs, ([a, b]) => {
        const sameHash = objectHash(normalizeArgs(a)) === objectHash(normalizeArgs(b));
        if (sameHash) equalPairs++;
        expect(defaultKey(a) === defaultKey(b)).toBe(sameHash);
      }),
      { numRuns: RUNS },
    );
    // Both sides of the equivalence were exercised.
    expect(equalPairs).toBeGreaterThan(RUNS / 5);
    expect(equalPairs).toBeLessThan(RUNS * 0.9);
  });
});
