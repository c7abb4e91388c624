import { execFileSync } from 'node:child_process';
import path from 'node:path';
import vm from 'node:vm';
import { MemoirError } from '../../lib/errors';
import { defaultKey, keyText, MAX_DEPTH, memoirKey, normalizeArgs } from '../../lib/keys';
import { swapped } from '../../lib/keys/binary';

const same = (a: unknown[], b: unknown[]) => expect(defaultKey(a)).toBe(defaultKey(b));
const differ = (a: unknown[], b: unknown[]) => expect(defaultKey(a)).not.toBe(defaultKey(b));

function unhashable(args: unknown[]): MemoirError {
  try {
    defaultKey(args);
  } catch (error) {
    expect(error).toBeInstanceOf(MemoirError);
    expect((error as MemoirError).code).toBe('UNHASHABLE_ARGUMENT');
    return error as MemoirError;
  }
  throw new Error('defaultKey accepted an unhashable argument');
}

function nested(depth: number, wrap: (inner: unknown) => unknown): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = wrap(value);
  return value;
}

describe('defaultKey: equal values, equal keys', () => {
  it('ignores the key order of objects, at any depth', () => {
    same([{ a: 1, b: { c: 2, d: [3] } }], [{ b: { d: [3], c: 2 }, a: 1 }]);
    differ([{ a: 1 }], [{ a: 1, b: undefined }]);
  });

  it('compares Maps and Sets by content, whatever the insertion order, object keys included', () => {
    same([new Map<unknown, unknown>([['a', 1], [{ k: 1 }, { x: 2 }]])], [new Map<unknown, unknown>([[{ k: 1 }, { x: 2 }], ['a', 1]])]);
    same([new Set(['x', 1, 'y', [1]])], [new Set([[1], 'y', 'x', 1])]);
    // Two keys that are equal objects: the entries are compared as a multiset.
    same([new Map([[{ k: 1 }, 1], [{ k: 1 }, 2]])], [new Map([[{ k: 1 }, 2], [{ k: 1 }, 1]])]);
    differ([new Set([1])], [new Set([1, 2])]);
    differ([new Map([['a', 1]])], [new Map([['a', 2]])]);
  });

  it('compares Dates by time, values by content, and repeated references like copies', () => {
    same([new Date(5)], [new Date(5)]);
    differ([new Date(5)], [new Date(6)]);
    const o = { x: 1 };
    // A shared reference is not a cycle: [o, o] is the same argument as two equal objects.
    same([o, o], [{ x: 1 }, { x: 1 }]);
    same([{ a: o, b: [o] }], [{ a: { x: 1 }, b: [{ x: 1 }] }]);
    same([new Map([['p', o], ['q', o]])], [new Map([['p', { x: 1 }], ['q', { x: 1 }]])]);
  });

  it('gives two cycles of the same shape the same key', () => {
    const build = () => {
      const node: Record<string, unknown> = { name: 'n', children: [] };
      (node.children as unknown[]).push({ parent: node });
      return node;
    };
    same([build()], [build()]);
    const list: unknown[] = [1];
    list.push(list);
    const other: unknown[] = [1];
    other.push(other);
    same([list], [other]);
  });

  it('ignores trailing undefined arguments only', () => {
    same([1], [1, undefined, undefined]);
    same([], [undefined]);
    differ([undefined, 1], [1]);
    expect(normalizeArgs([1, undefined])).toEqual([1]);
  });

  it('accepts values from another realm like local ones', () => {
    const foreign = vm.runInNewContext(
      "[{ a: [1, 2] }, new Map([['k', new Set([1])]]), new Date(0), new Uint8Array([1]), new Error('e')]",
    );
    same(foreign, [{ a: [1, 2] }, new Map([['k', new Set([1])]]), new Date(0), new Uint8Array([1]), new Error('e')]);
    expect(() => defaultKey([vm.runInNewContext('new (class Point { #x = 1 })()')])).toThrow(MemoirError);
  });

  it('keys an Error by its type and own properties, not by where it was thrown', () => {
    const first = new Error('boom');
    const second = new Error('boom');
    expect(first.stack).not.toBe(second.stack);
    same([first], [second]);
    differ([new Error('boom')], [new TypeError('boom')]);
    differ([new Error('boom', { cause: 1 })], [new Error('boom', { cause: 2 })]);
  });

  it('keys a class instance through its [memoirKey]() method, and by class', () => {
    class Money {
      #cents: number;
      constructor(cents: number) {
        this.#cents = cents;
      }
      [memoirKey]() {
        return this.#cents;
      }
    }
    class Weight {
      constructor(readonly grams: number) {}
      [memoirKey]() {
        return this.grams;
      }
    }
    expect(memoirKey).toBe(Symbol.for('memoir.key'));
    same([new Money(5)], [new Money(5)]);
    differ([new Money(5)], [new Money(6)]);
    differ([new Money(5)], [new Weight(5)]);
    differ([new Money(5)], [5]);
  });
});

describe('defaultKey: distinct values, distinct keys (issue 12, item 2)', () => {
  it('tells every pair of the issue apart', () => {
    const bytes = (...list: number[]) => new DataView(Uint8Array.from(list).buffer);
    differ([bytes(1, 2)], [bytes(3, 4)]);
    differ([bytes()], [bytes(0)]);
    same([bytes(1, 2)], [bytes(1, 2)]);
    // biome-ignore lint/suspicious/noSparseArray: the holes are the point
    differ([[, 1]], [[1, ,]]);
    const selfReferencing: unknown[] = [];
    selfReferencing.push(selfReferencing);
    differ([selfReferencing], [['[CIRCULAR:1]']]);
    differ(selfReferencing, ['[CIRCULAR:1]']);
    const o = { a: 1 };
    differ([o, o], [o, '[CIRCULAR:2]']);
    differ([Buffer.from('abuffer:b'), 'c'], [Buffer.from('a'), 'bbuffer:c']);
    differ(['abuffer:b', 'c'], ['a', 'bbuffer:c']);
    differ([-0], [0]);
    differ([{ x: [-0] }], [{ x: [0] }]);
    differ([new Number(-0)], [new Number(0)]);
    differ([new Float64Array([-0])], [new Float64Array([0])]);
    differ([new Error('e')], [Object.assign(new Error('e'), { code: 'E1' })]);
    differ([new Error('e')], [Object.defineProperty(new Error('e'), 'hidden', { value: 1 })]);
    // Values the key cannot see all of are refused, never collapsed.
    class Secret {
      #value: number;
      constructor(value: number) {
        this.#value = value;
      }
      reveal() {
        return this.#value;
      }
    }
    expect(unhashable([new Secret(1)]).message).toMatch(/instance of Secret.*#private/);
    const symbol = Symbol('s');
    expect(unhashable([{ [symbol]: 1 }]).message).toContain('symbol-keyed property (Symbol(s))');
  });

  it('is type-aware', () => {
    differ(['1'], [1]);
    differ([1n], [1]);
    differ([true], ['true']);
    differ([null], ['null']);
    differ([null], [undefined, 1]);
    differ([undefined], [null]);
    differ([new Date(0)], [new Date(0).toISOString()]);
    differ([new Date(0)], [0]);
    differ([[1, 2]], [{ 0: 1, 1: 2 }]);
    differ([[1, 2]], [new Set([1, 2])]);
    differ([Buffer.from('ab')], ['ab']);
    differ([Buffer.from('ab')], [new Uint8Array(Buffer.from('ab'))]);
    differ([new Uint8Array([1, 0])], [new Uint16Array([1])]);
    differ([new Uint8Array([1])], [new Uint8Array([1]).buffer]);
    differ([{ a: 1 }], [new Map([['a', 1]])]);
    differ([{ a: 1 }], [Object.assign(Object.create(null), { a: 1 })]);
    differ([new Number(1)], [1]);
    differ([new String('a')], ['a']);
    differ([/a/g], [/a/i]);
    differ([/a/g], ['/a/g']);
    differ([Object.assign(/a/g, { lastIndex: 1 })], [/a/g]);
    differ([new URL('http://x/')], ['http://x/']);
    differ(['\uD800'], ['\uFFFD']);
    differ([[undefined]], [[]]);
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    differ([[undefined]], [[,]]);
  });

  it('writes the same key for the same value on every machine: fixed texts', () => {
    expect(defaultKey([7, 'user'])).toBe('[7,"user"]');
    expect(defaultKey([true, null, 10n, -0, Number.NaN])).toBe('[true,null,10n,-0,NaN]');
    expect(defaultKey([{ b: [1, new Date(0)], a: new Map([[2, 'x']]) }])).toBe('[{"a":Map(2:"x"),"b":[1,Date(0)]}]');
    // Multi-byte typed arrays are written little-endian, whatever the machine's byte order.
    const expected = Buffer.alloc(8);
    expected.writeDoubleLE(1.5);
    expect(defaultKey([new Float64Array([1.5])])).toBe(`[Float64Array(${expected.toString('base64')})]`);
    expect([...swapped(Buffer.from([1, 2, 3, 4]), 2)]).toEqual([2, 1, 4, 3]);
    expect([...swapped(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), 8)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('never gives a key of the object-hash format used before', () => {
    for (const args of [[], [1], ['array:0:'], [{ a: 1 }], ['x'.repeat(1000)]]) {
      expect(defaultKey(args)).not.toMatch(/^(array:|sha1:)/);
    }
  });

  it('bounds long keys with a SHA-256 of the key text', () => {
    const long = Array.from({ length: 1000 }, (_, i) => i);
    expect(defaultKey([long])).toMatch(/^sha256:[0-9a-f]{64}$/);
    same([long], [[...long]]);
    differ([long], [[...long, 1000]]);
    expect(defaultKey(['x'.repeat(396)])).toHaveLength(400);
    expect(defaultKey(['x'.repeat(397)])).toMatch(/^sha256:/);
    // A text cannot pass for a digest: texts start with '['.
    expect(keyText(['x'.repeat(397)]).startsWith('[')).toBe(true);
  });

  it('is the same in another process', () => {
    const fixture = `[
      [7, 'user'],
      [{ id: 7, filter: { tags: ['a', 'b'], active: true } }],
      [{ b: 2, a: [1, , 3] }, new Date(86400000), 12345678901234567890n],
      [new Map([['k', new Set([1, 'one'])]]), Buffer.from('bytes'), new Uint16Array([1, 2])],
      ['é😀\\uD800', -0, Number.NaN, '[CIRCULAR:1]', new Error('e', { cause: /x/g })],
      [Array.from({ length: 200 }, (_, i) => ({ i }))],
    ]`;
    const lists = new Function(`return ${fixture}`)() as unknown[][];
    const keysModule = path.resolve(__dirname, '../../lib/keys/index.ts');
    const script =
      `const { defaultKey } = require(${JSON.stringify(keysModule)});` +
      `process.stdout.write(JSON.stringify((${fixture}).map(defaultKey)));`;
    const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');
    const output = execFileSync(tsx, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(output)).toEqual(lists.map(defaultKey));
  }, 90_000);
});

describe('unhashable arguments', () => {
  it('refuses a function or a symbol at the top level, naming the position', () => {
    expect(unhashable([1, () => 1]).message).toContain('argument 2');
    expect(unhashable([Symbol('s')]).message).toContain('argument 1');
  });

  it('names nested positions', () => {
    expect(unhashable([1, { options: { cb: () => 1 } }]).message).toContain('argument 2.options.cb');
    expect(unhashable([[0, Symbol('s')]]).message).toContain('argument 1[1]');
    expect(unhashable([new Map([['k', () => 1]])]).message).toContain('argument 1 (a Map value)');
    expect(unhashable([new Set([Symbol('s')])]).message).toContain('argument 1 (a Set member)');
    expect(unhashable([{ 'odd key': [new WeakMap()] }]).message).toContain('argument 1["odd key"][0]');
  });

  it('refuses what it cannot see all of: class instances, subclasses, added properties', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    class Registry extends Map {}
    class Bytes extends Uint8Array {}
    class List extends Array {}
    expect(unhashable([new Point(1)]).message).toContain('instance of Point');
    expect(unhashable([new Point(1)]).message).toContain('hashFunc');
    expect(unhashable([new Registry()]).message).toContain('Registry, a subclass');
    expect(unhashable([new Bytes(1)]).message).toContain('Bytes, a subclass');
    expect(unhashable([new List()]).message).toContain('List, a subclass of Array');
    expect(unhashable(['a-b'.match(/-/)]).message).toContain('other properties besides its elements (index, input, groups)');
    expect(unhashable([Object.assign(new Date(0), { tz: 'UTC' })]).message).toContain('a Date with added properties (tz)');
    expect(unhashable([Object.assign(new Map(), { meta: 1 })]).message).toContain('a Map with added properties');
    expect(unhashable([Promise.resolve(1)]).message).toContain('a Promise');
    expect(unhashable([new WeakMap()]).message).toContain('a WeakMap');
    expect(unhashable([Object(Symbol('s'))]).message).toContain('argument 1');
    // A non-enumerable symbol-keyed property is not part of the value, as for JSON or spread.
    same([Object.defineProperty({ a: 1 }, Symbol('hidden'), { value: 1 })], [{ a: 1 }]);
  });

  it.each([
    ['arrays', (inner: unknown) => [inner]],
    ['objects', (inner: unknown) => ({ inner })],
    ['Maps', (inner: unknown) => new Map([['k', inner]])],
    ['Sets', (inner: unknown) => new Set([inner])],
    ['errors', (inner: unknown) => new Error('e', { cause: inner })],
  ])('refuses 20,000-deep nested %s with UNHASHABLE_ARGUMENT, not a RangeError (item 13)', (_, wrap) => {
    const error = unhashable([1, nested(20_000, wrap)]);
    expect(error.message).toContain(`nested more than ${MAX_DEPTH} levels deep`);
    expect(error.message).toContain('argument 2');
    // Just under the limit is fine.
    expect(defaultKey([nested(MAX_DEPTH - 2, wrap)])).toMatch(/^sha256:/);
  });

  it('refuses an argument that repeats references into billions of values, quickly', () => {
    let value: unknown = 'leaf';
    for (let i = 0; i < 40; i++) value = [value, value];
    const started = Date.now();
    expect(unhashable([value]).message).toContain('larger than');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('wraps a getter that throws, naming the argument', () => {
    const error = unhashable([Object.defineProperty({}, 'bad', { enumerable: true, get: () => { throw new Error('no'); } })]);
    expect(error.message).toContain('argument 1');
    expect(error.cause).toBeInstanceOf(Error);
  });
});
