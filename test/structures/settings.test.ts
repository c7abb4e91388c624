import fc from 'fast-check';
import { caches, DictCache, MemoryCache, SentinelCache, SetCache, SortedSetCache, ValueCache } from '../../lib';
import { valueText } from '../../lib/keys';
import { readValueText } from '../../lib/structures/canonical-text';
import { compareText } from '../../lib/util';

/**
 * What does not depend on a backend: keys from parts and the class's prefix, the static
 * settings and their errors, alias resolution, the initial `data` write, and the member
 * encoding (the key text read back, compared the way Redis orders members).
 */
afterEach(() => caches.setConfig({}));

describe('keys', () => {
  it("joins the parts with '.' after the class's prefix; `.key` is the full key", () => {
    class Prefixed extends ValueCache {
      static override prefix = 'MyIntCache';
    }
    class Deeper extends Prefixed {}
    expect(new ValueCache(['foo', 'bar', 'che']).key).toBe('foo.bar.che');
    expect(new ValueCache('foo').key).toBe('foo');
    expect(new ValueCache([1, 2n, true]).key).toBe('1.2.true');
    expect(new Prefixed('foo').key).toBe('MyIntCache.foo');
    expect(new Deeper(['a', 'b']).key).toBe('MyIntCache.a.b');
    expect(new Prefixed([]).key).toBe('MyIntCache');
  });

  it('refuses a part that is not a string, number, bigint or boolean, and an empty key', () => {
    expect(() => new DictCache([{ a: 1 }] as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('key part') }));
    expect(() => new SetCache(null as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new ValueCache([])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('static prefix') }));
  });
});

describe('the example of API.md section 8', () => {
  it('runs as written', async () => {
    caches.setConfig({ sessions: { backend: 'memory', namespace: 'api-example' } });
    const c = new ValueCache(['foo', 'bar', 'che']);
    expect(c.key).toBe('foo.bar.che');
    await c.set(5);
    expect(await c.increment(10)).toBe(15);
    const z = new SortedSetCache('foo');
    await z.add(1, 'bar');
    await z.add(10, 'che');
    expect(await z.pop()).toEqual([1, 'bar']);
    const gate = new SentinelCache('daily-report');
    expect(await gate.claim()).toBe(true);
    class MyIntCache extends ValueCache {
      static override prefix = 'MyIntCache';
      static override ttl = '2h';
      static override serialize = false;
      static override cache = 'sessions';
    }
    expect(await new MyIntCache('foo').increment()).toBe(1);
    expect(await caches.get('sessions').get('MyIntCache.foo')).toBe(1);
    const sum = ValueCache.cached((...xs: number[]) => xs.reduce((a, b) => a + b, 0), { key: (...xs) => xs });
    expect(await sum(1, 2, 3)).toBe(6);
    expect(await new ValueCache([1, 2, 3]).get()).toBe(6);
  });
});

describe('static settings', () => {
  it("default to the 'default' alias, in-process memory", async () => {
    await new ValueCache('greeting').set('hello');
    expect(await caches.get('default').get('greeting')).toBe('hello');
  });

  it('follow the alias: caches.setConfig applies from the next operation', async () => {
    caches.setConfig({ sessions: { backend: 'memory', namespace: 'sessions' } });
    class Sessions extends DictCache {
      static override cache = 'sessions';
    }
    await new Sessions('s1').set('user', 'ada');
    expect(await new Sessions('s1').get('user')).toBe('ada');
    caches.setConfig({ sessions: { backend: 'memory', namespace: 'other' } });
    expect(await new Sessions('s1').get('user')).toBeUndefined();
  });

  it('are inherited and overridden like any static; bad ones fail at the first operation, naming the class and field', async () => {
    class Base extends SortedSetCache {
      static override ttl = '2h';
    }
    class BadTtl extends Base {
      static override ttl = 'soon';
    }
    class BadSerialize extends Base {
      static override serialize = 'no' as never;
    }
    class BadCache extends Base {
      static override cache = 42 as never;
    }
    class UnknownAlias extends Base {
      static override cache = 'nowhere';
    }
    await expect(new Base('ok').add(1, 'a')).resolves.toBe(true);
    await expect(new BadTtl('x').size()).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('static ttl of BadTtl') });
    await expect(new BadSerialize('x').size()).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('static serialize of BadSerialize') });
    await expect(new BadCache('x').size()).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('static cache of BadCache') });
    await expect(new UnknownAlias('x').size()).rejects.toMatchObject({ code: 'UNKNOWN_ALIAS' });
  });

  it('a failed initial write rejects ready() and the next operation once; later operations go on', async () => {
    const cache = new MemoryCache({ namespace: 'init', serializer: 'json' });
    class Dict extends DictCache {
      static override cache = cache;
    }
    const dict = new Dict('d', { data: [[() => 1, 'value']] });
    await expect(dict.ready()).rejects.toMatchObject({ code: 'UNHASHABLE_ARGUMENT' });
    const again = new Dict('d2', { data: [[() => 1, 'value']] });
    await expect(again.size()).rejects.toMatchObject({ code: 'UNHASHABLE_ARGUMENT' });
    await expect(again.size()).resolves.toBe(0);
  });

  it('a serializer that cannot hold a structure as one value is refused with a clear error (generic path)', async () => {
    const cache = new MemoryCache({ namespace: 'strings', serializer: 'string' });
    const generic = new Proxy(cache, { get: (target, name) => (name === 'structures' ? undefined : Reflect.get(target, name)) });
    class Dict extends DictCache {
      static override cache = generic;
    }
    await expect(new Dict('d').set('a', 1)).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining("serializer 'string'") });
  });
});

describe('member encoding', () => {
  /** Values a member may be: primitives, arrays (holes too), plain objects, Dates, Maps, Sets. */
  const member = fc.letrec((tie) => ({
    primitive: fc.oneof(
      fc.string(),
      fc.double(),
      fc.bigInt(),
      fc.boolean(),
      fc.constantFrom(null, undefined, -0, Number.NaN, Number.POSITIVE_INFINITY),
      fc.date({ noInvalidDate: false }),
    ),
    value: fc.oneof({ depthSize: 'small' }, tie('primitive'), tie('array'), tie('object'), tie('map'), tie('set')),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 }),
    map: fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
    set: fc.array(tie('value'), { maxLength: 3 }).map((values) => new Set(values)),
  })).value;

  it('reads back the key text of every value it takes, to an equal value (same text)', () => {
    fc.assert(
      fc.property(member, (value) => {
        const text = valueText(value, 'the member', '');
        const read = readValueText(text);
        expect(read.ok).toBe(true);
        if (read.ok) expect(valueText(read.value, 'the member', '')).toBe(text);
      }),
      { numRuns: 300 },
    );
    const sparse = [1, 2, 3];
    delete sparse[1];
    const holes = readValueText(valueText(sparse, 'the member', ''));
    expect(holes.ok && 1 in (holes.value as unknown[])).toBe(false);
  });

  it('orders text the way Redis orders members: by the bytes of their UTF-8', () => {
    fc.assert(
      // Member texts are well-formed (the key text escapes lone surrogates), as UTF-8 needs.
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        return Math.sign(compareText(a, b)) === Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
      }),
      { numRuns: 500 },
    );
    // Where UTF-16 code units disagree with UTF-8 bytes: U+E000 sorts before U+10000.
    expect(compareText('\uE000', '\u{10000}')).toBeLessThan(0);
    expect('\uE000' < '\u{10000}').toBe(false);
  });

  it('refuses members it could not read back equal', async () => {
    const set = new SetCache('refusals');
    await expect(set.add(/x/)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(set.add(Buffer.from('x'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(set.add(new (class Point {})())).rejects.toMatchObject({ code: 'UNHASHABLE_ARGUMENT' });
    await expect(set.add(Symbol('s'))).rejects.toMatchObject({ code: 'UNHASHABLE_ARGUMENT' });
  });
});
