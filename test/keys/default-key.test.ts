import { execFileSync } from 'node:child_process';
import path from 'node:path';
import objectHash from 'object-hash';
import { MemoirError } from '../../lib/errors';
import { compressKeyText, expandKeyText, OBJECT_PROTOTYPE } from '../../lib/keys/compression';
import { defaultKey, keyText, normalizeArgs } from '../../lib/keys/default-key';

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

describe('defaultKey', () => {
  it('is type-aware', () => {
    differ(['1'], [1]);
    differ([1n], [1]);
    differ([true], ['true']);
    differ([null], ['null']);
    differ([null], [undefined, 1]);
    differ([new Date(0)], [new Date(0).toISOString()]);
    differ([[1, 2]], [{ 0: 1, 1: 2 }]);
    differ([[1, 2]], [new Set([1, 2])]);
    differ([Buffer.from('ab')], ['ab']);
    differ([{ a: 1 }], [new Map([['a', 1]])]);
  });

  it('ignores the key order of objects, at any depth', () => {
    same([{ a: 1, b: { c: 2, d: [3] } }], [{ b: { d: [3], c: 2 }, a: 1 }]);
    differ([{ a: 1 }], [{ a: 1, b: undefined }]);
  });

  it('compares Maps and Sets by content, whatever the insertion order', () => {
    same(
      [
        new Map<string, unknown>([
          ['a', 1],
          ['b', { x: 2 }],
        ]),
      ],
      [
        new Map<string, unknown>([
          ['b', { x: 2 }],
          ['a', 1],
        ]),
      ],
    );
    same([new Set(['x', 1, 'y'])], [new Set(['y', 'x', 1])]);
    differ([new Set([1])], [new Set([1, 2])]);
  });

  it('compares Dates by time and values by content, not identity', () => {
    same([new Date(5)], [new Date(5)]);
    differ([new Date(5)], [new Date(6)]);
    same([{ tags: ['a'] }, [1]], [{ tags: ['a'] }, [1]]);
  });

  it('ignores trailing undefined arguments only', () => {
    same([1], [1, undefined, undefined]);
    same([], [undefined]);
    differ([undefined, 1], [1]);
    expect(normalizeArgs([1, undefined])).toEqual([1]);
  });

  it('agrees with object-hash where object-hash cannot tell values apart', () => {
    same([-0], [0]);
    same([Number.NaN], [Number.NaN]);
    // object-hash digests UTF-8, where a lone surrogate becomes U+FFFD.
    same(['\uD800'], ['\uFFFD']);
    // Buffers are digested raw and unprefixed: these two lists feed object-hash the same bytes.
    const a = [Buffer.from('x'), 'é', Buffer.from('buffer:y')];
    const b = [Buffer.from('xstring:1:\u00C3\u00A9', 'latin1'), Buffer.from(''), Buffer.from('y')];
    expect(objectHash(a)).toBe(objectHash(b));
    same(a, b);
  });

  it('keeps keys short and readable for primitives', () => {
    expect(defaultKey([7, 'user'])).toBe('array:2:number:7string:4:user');
    expect(defaultKey([true, null, 10n])).toBe('array:3:bool:trueNullbigint:10');
  });

  it('bounds long keys with a SHA-1 of the key text', () => {
    const long = Array.from({ length: 1000 }, (_, i) => i);
    const key = defaultKey([long]);
    expect(key).toMatch(/^sha1:[0-9a-f]{40}$/);
    same([long], [[...long]]);
    differ([long], [[...long, 1000]]);
    expect(defaultKey(['x'.repeat(381)])).toHaveLength(400);
    expect(defaultKey(['x'.repeat(382)])).toMatch(/^sha1:/);
  });

  it('does not let a string that spells a compressed header collide with the object', () => {
    const object = { a: 1 };
    const spelled = expandKeyText(keyText([object])).slice('array:1:'.length);
    differ([object], [spelled]);
    differ([{ s: OBJECT_PROTOTYPE }], [{ s: 'x' }]);
    same([{ s: `[${OBJECT_PROTOTYPE}` }], [{ s: `[${OBJECT_PROTOTYPE}` }]);
  });

  it('is the same in another process', () => {
    const fixture = `[
      [7, 'user'],
      [{ id: 7, filter: { tags: ['a', 'b'], active: true } }],
      [{ b: 2, a: [1, , 3] }, new Date(86400000), 12345678901234567890n],
      [new Map([['k', new Set([1, 'one'])]]), Buffer.from('bytes'), new Uint16Array([1, 2])],
      ['é😀\\uD800', -0, Number.NaN, '[CIRCULAR:1]'],
      [Array.from({ length: 200 }, (_, i) => ({ i }))],
    ]`;
    const lists = new Function(`return ${fixture}`)() as unknown[][];
    const keysModule = path.resolve(__dirname, '../../lib/keys/default-key.ts');
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
    expect(unhashable([1, { options: { cb: () => 1 } }]).message).toContain(
      'argument 2.options.cb',
    );
    expect(unhashable([[0, Symbol('s')]]).message).toContain('argument 1[1]');
    expect(unhashable([new Map([['k', () => 1]])]).message).toContain('argument 1 (a Map value)');
    expect(unhashable([new Set([Symbol('s')])]).message).toContain('argument 1 (a Set member)');
  });

  it('wraps what object-hash itself refuses, naming the argument', () => {
    const error = unhashable(['ok', new WeakMap()]);
    expect(error.message).toContain('argument 2');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('accepts cycles, as object-hash does', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(defaultKey([cyclic])).toContain('[CIRCULAR:1]');
  });
});

describe('key compression', () => {
  it('round-trips any latin1 text, header-like or not', () => {
    const texts = [
      '',
      'plain',
      expandKeyText(keyText([{ a: { b: {} } }, { c: 1 }])),
      `object:4:string:9:prototype:Undefined,string:9:__proto__:${OBJECT_PROTOTYPE}`,
      expandKeyText(keyText([{ a: 1 }])).replace('CIRCULAR:2]', 'CIRCULAR:22]'),
    ];
    for (const text of texts) expect(expandKeyText(compressKeyText(text))).toBe(text);
  });
});
