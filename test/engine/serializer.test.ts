import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CacheManager, type CachedOptions, cached, closeConnections, createCache, type MemoirEvent } from 'memoir';
import { REDIS_URL } from '../support/redis-fixtures';

/**
 * The `serializer` option of `cached`: results stored with 'json', 'msgpack', 'string', 'none',
 * 'v8' or a custom serializer; each entry records which serializer wrote it, so a function whose
 * serializer changed (or another function sharing the name) reads a miss and recomputes, never
 * garbage; a value of its own serializer that cannot be decoded is reported once and is a miss.
 */
const run = `${process.pid}-${Date.now().toString(36)}`;
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-serializer-'));
let names = 0;

afterAll(async () => {
  await closeConnections();
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

const backends: Array<[string, () => CachedOptions]> = [
  ['file', () => ({ backend: 'file', cacheDir })],
  ['redis', () => ({ backend: 'redis', redis: REDIS_URL })],
  ['a redis key-value cache', () => ({ backend: createCache({ backend: 'redis', redis: REDIS_URL, namespace: `ser-${run}` }) })],
  ['a file key-value cache', () => ({ backend: createCache({ backend: 'file', cacheDir, namespace: `ser-${run}` }) })],
];

describe.each(backends)('serializer on %s', (_label, backend) => {
  /** Two functions sharing one name (one set of entries): what a change of options looks like. */
  function pair(first: CachedOptions, second: CachedOptions) {
    const name = `ser-${run}-${names++}`;
    const runs: string[] = [];
    const make = (tag: string, options: CachedOptions) =>
      cached(async (id: string) => {
        runs.push(tag);
        return { id, by: tag, at: '2024-01-01' };
      }, { ...backend(), name, manager: new CacheManager(), ...options });
    return { runs, a: make('a', first), b: make('b', second) };
  }

  it('an entry written with json is a miss for v8 (and the other way round): recomputed, never garbage', async () => {
    const { runs, a, b } = pair({ serializer: 'json' }, {});
    expect(await a('1')).toEqual({ id: '1', by: 'a', at: '2024-01-01' });
    expect(await a('1')).toEqual({ id: '1', by: 'a', at: '2024-01-01' });
    expect(await b('1')).toEqual({ id: '1', by: 'b', at: '2024-01-01' }); // v8 reads json's entry as a miss
    expect(await a('1')).toEqual({ id: '1', by: 'a', at: '2024-01-01' }); // and json reads v8's as a miss
    expect(runs).toEqual(['a', 'b', 'a']);
    await a.clearCache();
  });

  it('msgpack, string and a named custom serializer each read only their own entries', async () => {
    const upper = { name: 'upper', serialize: (value: unknown) => JSON.stringify(value).toUpperCase(), deserialize: (raw: Buffer | string) => JSON.parse(String(raw)) };
    const { runs, a, b } = pair({ serializer: 'msgpack' }, { serializer: upper });
    await a('x');
    await a('x');
    await b('x');
    expect(await b('x')).toEqual({ ID: 'X', BY: 'B', AT: '2024-01-01' });
    expect(runs).toEqual(['a', 'b']);
    const strings = cached(async (n: number) => n * 2, { ...backend(), name: `ser-${run}-${names++}`, serializer: 'string', manager: new CacheManager() });
    expect(await strings(21)).toBe(42);
    expect(await strings(21)).toBe('42'); // 'string' stores text, as for key-value caches
    await a.clearCache();
    await strings.clearCache();
  });

  it('a value its own serializer cannot decode is reported once and recomputed', async () => {
    const events: MemoirEvent[] = [];
    let broken = false;
    const fragile = {
      name: 'fragile',
      serialize: (value: unknown) => JSON.stringify(value),
      deserialize: (raw: Buffer | string) => {
        if (broken) throw new Error('cannot read this any more');
        return JSON.parse(String(raw));
      },
    };
    let runs = 0;
    const fn = cached(async (n: number) => n + ++runs, {
      ...backend(),
      name: `ser-${run}-${names++}`,
      serializer: fragile,
      manager: new CacheManager(),
      onEvent: (event) => events.push(event),
    });
    expect(await fn(10)).toBe(11);
    broken = true;
    expect(await fn(10)).toBe(12);
    expect(await fn(10)).toBe(13);
    expect(events.filter((event) => event.type === 'corrupt-entry')).toHaveLength(1);
    await fn.clearCache();
  });

  it('a result the serializer cannot hold is returned, not stored, and reported', async () => {
    const events: MemoirEvent[] = [];
    let runs = 0;
    const fn = cached(async () => ({ big: 10n, run: ++runs }), {
      ...backend(),
      name: `ser-${run}-${names++}`,
      serializer: 'json',
      manager: new CacheManager(),
      onEvent: (event) => events.push(event),
    });
    expect(await fn()).toEqual({ big: 10n, run: 1 });
    expect(await fn()).toEqual({ big: 10n, run: 2 });
    expect(events.some((event) => event.type === 'serialization-error' && /serializer 'json'/.test(event.message ?? ''))).toBe(true);
  });
});

describe('serializer option', () => {
  it('is validated at decoration, naming the option and what it accepts', () => {
    expect(() => cached(async () => 1, { backend: 'memory', serializer: 'yaml' as never })).toThrow(/Invalid option "serializer".*'v8', 'json', 'msgpack', 'string', 'none'/);
    expect(() => cached(async () => 1, { backend: 'memory', serializer: { serialize: () => '' } as never })).toThrow(/Invalid option "serializer"/);
  });

  it("on memory, 'json' stores copies: mutating a result never changes the cache", async () => {
    const fn = cached(async () => ({ list: [1] }), { backend: 'memory', name: `ser-${run}-${names++}`, serializer: 'json', manager: new CacheManager() });
    const first = await fn();
    first.list.push(2);
    expect(await fn()).toEqual({ list: [1] });
  });

  it('the old SERIALIZATION_FAILED advice works: a custom serializer stores what v8 cannot', async () => {
    class Point {
      constructor(readonly x: number) {}
    }
    const points = { name: 'points', serialize: (value: unknown) => String((value as Point).x), deserialize: (raw: Buffer | string) => new Point(Number(raw)) };
    let runs = 0;
    const fn = cached(async () => {
      runs++;
      return new Point(3);
    }, { backend: 'file', cacheDir, name: `ser-${run}-${names++}`, serializer: points, manager: new CacheManager() });
    await fn();
    const back = await fn();
    expect(back).toBeInstanceOf(Point);
    expect(back.x).toBe(3);
    expect(runs).toBe(1);
  });
});
