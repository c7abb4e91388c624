import type { CacheOptions, CachePlugin, KeyValueCache, MemoirEvent, PluginContext } from '../contract';
import { rejection, sleep } from './helpers';

/**
 * The one suite every key-value cache passes (API.md section 7), written against the public
 * contract only. A backend's test file calls it with a factory and adds its own regressions:
 *
 *   describeCacheContract('memory', (options) => new MemoryCache(options), { fakeTime: true });
 *
 * The factory receives the common options (a fresh `namespace` per test, `clock`, `ttl`,
 * `serializer`, `plugins`, `timeout`, `keyBuilder`, `onEvent`) and adds its backend's own.
 */
export type MakeCache = (options: CacheOptions) => KeyValueCache | Promise<KeyValueCache>;

export interface CacheContractOptions {
  /**
   * The backend keeps time with the `clock` option (memory, file, mongo): ttls are tested by
   * moving a fake clock. Otherwise (Redis, SQL on the server's clock) with real short ttls.
   */
  fakeTime?: boolean;
  /** The real ttl, in ms, used when `fakeTime` is false. Default 150. */
  realTtlMs?: number;
  /** The store keeps bytes only (Redis): serializer 'none' reads back text, integers and Buffers, not other numbers. */
  textual?: boolean;
  /** A check of `raw` for backends that have one; without it `raw` must reject with `UNSUPPORTED`. */
  raw?: (cache: KeyValueCache) => Promise<void>;
  /** Called once after the suite (close servers, remove directories). */
  teardown?: () => Promise<void> | void;
}

const T0 = 1_700_000_000_000;
let namespaces = 0;
const freshNamespace = () => `contract-${process.pid}-${Date.now().toString(36)}-${namespaces++}`;

export function describeCacheContract(label: string, make: MakeCache, options: CacheContractOptions = {}): void {
  const fake = options.fakeTime === true;
  const realTtl = options.realTtlMs ?? 150;
  const opened: KeyValueCache[] = [];
  let now = T0;
  const clock = () => now;

  /** A cache on a fresh namespace (or the one given), tracked for closing. */
  async function open(extra: CacheOptions = {}): Promise<KeyValueCache> {
    const cache = await make({ namespace: freshNamespace(), ...(fake ? { clock } : {}), ...extra });
    opened.push(cache);
    return cache;
  }

  /** A ttl and how to let it run out, on fake or real time. */
  const TTL = fake ? 10_000 : realTtl;
  async function outlive(ms = TTL): Promise<void> {
    if (fake) now += ms + 1;
    else await sleep(ms + 60);
  }

  beforeEach(() => {
    now = T0;
  });

  afterAll(async () => {
    for (const cache of opened) await cache.close();
    await options.teardown?.();
  });

  describe(`${label}: key-value cache contract`, () => {
    describe('get, set, delete, exists', () => {
      it('reads undefined for a missing key, or the default', async () => {
        const cache = await open();
        expect(await cache.get('missing')).toBeUndefined();
        expect(await cache.get('missing', { default: 42 })).toBe(42);
      });

      it('set resolves true and get returns the value; set overwrites', async () => {
        const cache = await open();
        expect(await cache.set('k', 'one')).toBe(true);
        expect(await cache.get('k')).toBe('one');
        await cache.set('k', 'two');
        expect(await cache.get('k', { default: 'unused' })).toBe('two');
      });

      it('delete resolves 1 for an existing key, then 0', async () => {
        const cache = await open();
        await cache.set('k', 'v');
        expect(await cache.delete('k')).toBe(1);
        expect(await cache.delete('k')).toBe(0);
        expect(await cache.get('k')).toBeUndefined();
      });

      it('exists tells present keys from absent ones', async () => {
        const cache = await open();
        await cache.set('here', 'v');
        expect(await cache.exists('here')).toBe(true);
        expect(await cache.exists('gone')).toBe(false);
      });

      it('refuses a key that is not a string', async () => {
        const cache = await open();
        expect((await rejection(cache.get(42 as unknown as string))).code).toBe('INVALID_KEY');
      });

      it('a stored undefined is there: get returns it over a default, and getOrSet does not run its factory', async () => {
        const cache = await open();
        await cache.set('u', undefined);
        expect(await cache.exists('u')).toBe(true);
        expect(await cache.get('u', { default: 5 })).toBeUndefined();
        let runs = 0;
        expect(await cache.getOrSet('u', () => ++runs)).toBeUndefined();
        expect(runs).toBe(0);
      });
    });

    describe('multiGet and multiSet', () => {
      it('multiGet answers in the order of the keys, undefined for missing ones', async () => {
        const cache = await open();
        await cache.set('a', 'A');
        await cache.set('c', 'C');
        expect(await cache.multiGet(['c', 'b', 'a'])).toEqual(['C', undefined, 'A']);
        expect(await cache.multiGet([])).toEqual([]);
      });

      it('multiSet takes pairs (an array or a Map) or a plain object and resolves true', async () => {
        const cache = await open();
        expect(await cache.multiSet([['a', 'A'], ['b', 'B']])).toBe(true);
        expect(await cache.multiSet({ c: 'C', d: 'D' })).toBe(true);
        expect(await cache.multiSet(new Map([['e', 'E']]))).toBe(true);
        expect(await cache.multiGet(['a', 'b', 'c', 'd', 'e'])).toEqual(['A', 'B', 'C', 'D', 'E']);
        expect((await rejection(cache.multiSet([['f', 'F', 'extra']]))).code).toBe('INVALID_ARGUMENT');
        expect(await cache.exists('f')).toBe(false);
      });
    });

    describe('add', () => {
      it('stores an absent key and resolves true; an existing one rejects with KEY_EXISTS and stays', async () => {
        const cache = await open();
        expect(await cache.add('k', 'first')).toBe(true);
        expect((await rejection(cache.add('k', 'second'))).code).toBe('KEY_EXISTS');
        expect(await cache.get('k')).toBe('first');
      });

      it('has exactly one winner among concurrent callers', async () => {
        const cache = await open();
        const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => cache.add('race', i)));
        const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
        expect(winners).toHaveLength(1);
        const losers = outcomes.filter((outcome) => outcome.status === 'rejected') as PromiseRejectedResult[];
        expect(losers.every((outcome) => outcome.reason.code === 'KEY_EXISTS')).toBe(true);
      });

      it('takes a key whose value has expired', async () => {
        const cache = await open();
        await cache.set('k', 'old', { ttl: TTL });
        await outlive();
        expect(await cache.add('k', 'new')).toBe(true);
        expect(await cache.get('k')).toBe('new');
      });
    });

    describe('increment', () => {
      it('counts a missing key from 0 and resolves the new value', async () => {
        const cache = await open();
        expect(await cache.increment('n')).toBe(1);
        expect(await cache.increment('n', 5)).toBe(6);
        expect(await cache.increment('n', -10)).toBe(-4);
        expect(await cache.get('n')).toBe(-4);
      });

      it('works on an integer written by set, and get then returns a number', async () => {
        const cache = await open();
        await cache.set('n', 41);
        expect(await cache.increment('n')).toBe(42);
        expect(await cache.get('n')).toBe(42);
      });

      it('rejects with NOT_A_NUMBER on a value that is not an integer, leaving it alone', async () => {
        const cache = await open({ serializer: 'v8' });
        await cache.set('text', 'abc');
        await cache.set('object', { a: 1 });
        await cache.set('fraction', 1.5);
        for (const key of ['text', 'object', 'fraction']) {
          expect((await rejection(cache.increment(key))).code).toBe('NOT_A_NUMBER');
        }
        expect(await cache.get('text')).toBe('abc');
      });

      it('a string of digits is an integer under the text serializers (none, string) and text under the others, on every store', async () => {
        for (const serializer of ['v8', 'json', 'msgpack'] as const) {
          const cache = await open({ serializer });
          await cache.set('digits', '12');
          expect([serializer, (await rejection(cache.increment('digits'))).code]).toEqual([serializer, 'NOT_A_NUMBER']);
          expect(await cache.get('digits')).toBe('12');
        }
        // 'none' hands a store that keeps bytes (Redis) nothing but the text: every store then
        // reads digits as the integer they spell, as 'string' does.
        for (const serializer of ['none', 'string'] as const) {
          const cache = await open({ serializer });
          await cache.set('digits', '12');
          expect([serializer, await cache.increment('digits')]).toEqual([serializer, 13]);
        }
      });

      it('a sum that leaves the safe integer range rejects with NOT_A_NUMBER and changes nothing', async () => {
        const cache = await open();
        await cache.set('max', Number.MAX_SAFE_INTEGER);
        await cache.set('min', -Number.MAX_SAFE_INTEGER);
        expect((await rejection(cache.increment('max'))).code).toBe('NOT_A_NUMBER');
        expect((await rejection(cache.increment('min', -1))).code).toBe('NOT_A_NUMBER');
        expect(await cache.multiGet(['max', 'min'])).toEqual([Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]);
        expect(await cache.increment('max', -1)).toBe(Number.MAX_SAFE_INTEGER - 1);
        expect(await cache.increment('fresh', -Number.MAX_SAFE_INTEGER)).toBe(-Number.MAX_SAFE_INTEGER);
      });

      it('refuses a delta that is not an integer', async () => {
        const cache = await open();
        expect((await rejection(cache.increment('n', 0.5))).code).toBe('INVALID_ARGUMENT');
      });

      it('is atomic: concurrent increments all count', async () => {
        const cache = await open();
        await Promise.all(Array.from({ length: 50 }, () => cache.increment('n')));
        expect(await cache.get('n')).toBe(50);
      });
    });

    describe('time to live', () => {
      it('a value set with a ttl expires', async () => {
        const cache = await open();
        await cache.set('k', 'v', { ttl: TTL });
        await cache.set('forever', 'v');
        expect(await cache.get('k')).toBe('v');
        await outlive();
        expect(await cache.get('k')).toBeUndefined();
        expect(await cache.exists('k')).toBe(false);
        expect(await cache.get('forever')).toBe('v');
      });

      it("the cache's ttl is the default; a per-call ttl of 0 never expires", async () => {
        const cache = await open({ ttl: TTL });
        await cache.set('default', 'v');
        await cache.set('kept', 'v', { ttl: 0 });
        await cache.multiSet([['many', 'v']]);
        await outlive();
        expect(await cache.multiGet(['default', 'kept', 'many'])).toEqual([undefined, 'v', undefined]);
      });

      it('expire gives an existing key a new ttl, resolves false for an absent one', async () => {
        const cache = await open();
        await cache.set('k', 'v');
        expect(await cache.expire('k', TTL)).toBe(true);
        expect(await cache.expire('absent', TTL)).toBe(false);
        await outlive();
        expect(await cache.get('k')).toBeUndefined();
        expect(await cache.expire('k', TTL)).toBe(false);
      });

      it('expire with 0 removes the expiry', async () => {
        const cache = await open();
        await cache.set('k', 'v', { ttl: TTL });
        expect(await cache.expire('k', 0)).toBe(true);
        await outlive();
        expect(await cache.get('k')).toBe('v');
      });

      it('increment keeps the ttl of the key', async () => {
        const cache = await open();
        await cache.set('n', 1, { ttl: TTL });
        expect(await cache.increment('n')).toBe(2);
        await outlive();
        expect(await cache.get('n')).toBeUndefined();
      });

      it('refuses a ttl that is not a duration', async () => {
        const cache = await open();
        expect((await rejection(cache.set('k', 'v', { ttl: 'soon' }))).code).toBe('INVALID_OPTION');
        await expect(Promise.resolve().then(() => make({ namespace: freshNamespace(), ttl: -1 }))).rejects.toMatchObject({ code: 'INVALID_OPTION' });
      });
    });

    describe('namespaces', () => {
      it('clear deletes its own namespace only: a foreign key survives', async () => {
        const mine = await open();
        const other = await open();
        await mine.set('k', 'mine');
        await other.set('k', 'theirs');
        expect(await mine.clear()).toBe(true);
        expect(await mine.get('k')).toBeUndefined();
        expect(await other.get('k')).toBe('theirs');
      });

      it('two caches of one namespace share entries; other namespaces do not see them', async () => {
        const namespace = freshNamespace();
        const first = await open({ namespace });
        const second = await open({ namespace });
        const stranger = await open();
        await first.set('shared', 'v');
        expect(await second.get('shared')).toBe('v');
        expect(await stranger.get('shared')).toBeUndefined();
        expect(first.namespace).toBe(namespace);
      });

      it('a namespace that begins with another is still its own: keys, clear and locks never meet', async () => {
        const namespace = freshNamespace();
        const parent = await open({ namespace });
        const child = await open({ namespace: `${namespace}:sub` });
        // What percent-encoding of the namespace could turn into the child's name.
        const lookalike = await open({ namespace: `${namespace}%3Asub` });
        await parent.set('sub:k', 'parent'); // `namespace:sub:k`, as the child's `k` would read if joined plainly
        await child.set('k', 'child');
        await lookalike.set('k', 'lookalike');
        expect(await parent.get('sub:k')).toBe('parent');
        expect(await child.get('k')).toBe('child');
        expect(await lookalike.get('k')).toBe('lookalike');
        const held = await parent.lock('sub:k');
        await (await child.lock('k', { wait: 500 })).release();
        await held.release();
        expect(await parent.clear()).toBe(true);
        expect(await parent.get('sub:k')).toBeUndefined();
        expect(await child.get('k')).toBe('child');
        expect(await lookalike.get('k')).toBe('lookalike');
      });

      it('keyBuilder decides the stored key', async () => {
        const namespace = freshNamespace();
        const keyBuilder = (key: string, ns: string) => `${ns}/${key.toLowerCase()}`;
        const first = await open({ namespace, keyBuilder });
        const second = await open({ namespace, keyBuilder });
        await first.set('KEY', 'v');
        expect(await second.get('key')).toBe('v');
      });
    });

    describe('serializers', () => {
      const roundTrips: Array<[CacheOptions['serializer'], unknown[]]> = [
        ['v8', ['text', 7, 1.5, null, { nested: [1, 'a', { deep: true }] }, new Date(5), new Map([['k', new Set([1])]]), 2n ** 70n, Buffer.from([0, 255])]],
        ['json', ['text', 7, 1.5, null, true, { nested: [1, 'a', { deep: true }] }]],
        ['msgpack', ['text', 7, 1.5, null, true, { nested: [1, 'a', { deep: true }] }, new Date(5)]],
      ];
      for (const [serializer, values] of roundTrips) {
        it(`'${serializer}' returns what was set`, async () => {
          const cache = await open({ serializer });
          for (const [i, value] of values.entries()) await cache.set(`k${i}`, value);
          expect(await cache.multiGet(values.map((_, i) => `k${i}`))).toEqual(values);
        });
      }

      it("'string' stores text and returns strings", async () => {
        const cache = await open({ serializer: 'string' });
        await cache.set('n', 5);
        await cache.set('s', 'text');
        expect(await cache.get('n')).toBe('5');
        expect(await cache.get('s')).toBe('text');
        expect(await cache.increment('n')).toBe(6);
      });

      it("'none' stores strings, numbers and Buffers as given", async () => {
        const cache = await open({ serializer: 'none' });
        await cache.set('s', 'text');
        await cache.set('i', 42);
        await cache.set('n', 1.25);
        await cache.set('b', Buffer.from([0xff, 0x00, 0x01]));
        expect(await cache.get('s')).toBe('text');
        expect(await cache.get('i')).toBe(42);
        // A store that keeps bytes only (Redis) hands a fraction back as its text.
        expect(await cache.get('n')).toBe(options.textual ? '1.25' : 1.25);
        expect(Buffer.from((await cache.get('b')) as Buffer)).toEqual(Buffer.from([0xff, 0x00, 0x01]));
      });

      it('a custom serializer object is used both ways', async () => {
        const calls: string[] = [];
        const reverse = {
          serialize: (value: unknown) => {
            calls.push('serialize');
            return [...String(value)].reverse().join('');
          },
          deserialize: (raw: Buffer | string) => {
            calls.push('deserialize');
            return [...raw.toString()].reverse().join('');
          },
        };
        const namespace = freshNamespace();
        const cache = await open({ namespace, serializer: reverse });
        await cache.set('k', 'abc');
        expect(await cache.get('k')).toBe('abc');
        expect(calls).toEqual(['serialize', 'deserialize']);
        const plain = await open({ namespace, serializer: 'string' });
        expect(await plain.get('k')).toBe('cba');
      });

      it('integers stay raw under v8, json and msgpack, so increment works on them', async () => {
        for (const serializer of ['v8', 'json', 'msgpack'] as const) {
          const cache = await open({ serializer });
          await cache.set('n', 10);
          expect(await cache.increment('n', 5)).toBe(15);
          expect(await cache.get('n')).toBe(15);
        }
      });

      it('a value the serializer cannot hold rejects with SERIALIZATION_FAILED naming the cache', async () => {
        const cases: Array<[CacheOptions['serializer'], unknown]> = [
          ['v8', { fn: () => 1 }],
          ['json', { big: 1n }],
          // What JSON would hand back as something else: never stored half-right.
          ['json', new Map([['a', 1]])],
          ['json', { tags: new Set([1, 2]) }],
          ['json', [Number.NaN]],
          ['json', { at: new Date(0) }],
          ['json', Buffer.from('bytes')],
          ['msgpack', { fn: () => 1 }],
          ['string', { a: 1 }],
          ['string', () => 1],
          ['string', Symbol('s')],
        ];
        for (const [serializer, value] of cases) {
          const cache = await open({ serializer });
          const error = await rejection(cache.set('k', value));
          expect(error.code).toBe('SERIALIZATION_FAILED');
          expect(error.message).toContain(cache.namespace);
          expect(await cache.exists('k')).toBe(false);
        }
      });

      it('a value that cannot be deserialized reads as missing and is reported once', async () => {
        const namespace = freshNamespace();
        const writer = await open({ namespace, serializer: 'string' });
        await writer.set('k', '{not json');
        const events: MemoirEvent[] = [];
        const reader = await open({ namespace, serializer: 'json', onEvent: (event) => events.push(event) });
        expect(await reader.get('k')).toBeUndefined();
        expect(await reader.get('k', { default: 'fallback' })).toBe('fallback');
        expect(events).toHaveLength(1);
        expect(events[0].type).toBe('corrupt-entry');
      });

      it('an unknown serializer name is refused, naming the accepted ones', async () => {
        const error = await rejection(Promise.resolve().then(() => make({ namespace: freshNamespace(), serializer: 'yaml' as never })));
        expect(error.code).toBe('INVALID_OPTION');
        expect(error.message).toContain('msgpack');
      });
    });

    describe('plugins', () => {
      it('pre and post hooks run around every command, in registration order, with the context', async () => {
        const seen: string[] = [];
        const contexts: PluginContext[] = [];
        const first: CachePlugin = {
          preSet: (context) => void seen.push(`first pre ${context.command} ${context.key}=${context.value}`),
          postSet: (context) => {
            seen.push(`first post ${context.result}`);
            contexts.push({ ...context });
          },
          preDelete: () => void seen.push('first preDelete'),
        };
        const second: CachePlugin = {
          preSet: async () => {
            await sleep(1);
            seen.push('second pre');
          },
          postSet: () => void seen.push('second post'),
        };
        const cache = await open({ plugins: [first, second] });
        await cache.set('k', 'v');
        await cache.delete('k');
        expect(seen).toEqual(['first pre set k=v', 'second pre', 'first post true', 'second post', 'first preDelete']);
        expect(contexts[0].cache).toBe(cache);
        expect(contexts[0].ms).toBeGreaterThanOrEqual(0);
        expect(cache.plugins).toEqual([first, second]);
      });

      it('every command has its pre and post hook, with its key or keys, value and result', async () => {
        const commands = ['get', 'set', 'add', 'multiGet', 'multiSet', 'exists', 'increment', 'expire', 'delete', 'clear', 'raw', 'getOrSet', 'lock', 'optimisticLock'];
        const seen: string[] = [];
        const posts = new Map<string, PluginContext>();
        const recorder: CachePlugin = {};
        for (const command of commands) {
          const name = command[0].toUpperCase() + command.slice(1);
          Object.assign(recorder, {
            [`pre${name}`]: (context: PluginContext) => void seen.push(`pre ${context.command}`),
            [`post${name}`]: (context: PluginContext) => {
              seen.push(`post ${context.command}`);
              posts.set(context.command, { ...context });
            },
          });
        }
        const cache = await open({ plugins: [recorder] });
        await cache.set('a', 1);
        await cache.get('a');
        await cache.add('b', 2);
        await cache.multiGet(['a', 'b']);
        await cache.multiSet({ c: 3 });
        await cache.exists('a');
        await cache.increment('n', 2);
        await cache.expire('a', 60_000);
        await cache.delete('b');
        await cache.getOrSet('g', () => 'made');
        await (await cache.lock('l')).release();
        await cache.optimisticLock('a');
        await cache.raw('PING').catch(() => undefined); // its post hook runs where PING is a command
        await cache.clear();
        for (const command of commands) {
          expect(seen).toContain(`pre ${command}`);
          if (command !== 'raw') expect(seen).toContain(`post ${command}`);
        }
        expect(posts.get('set')).toMatchObject({ key: 'a', value: 1, result: true });
        expect(posts.get('get')).toMatchObject({ key: 'a', result: 1, hit: true });
        expect(posts.get('add')).toMatchObject({ key: 'b', value: 2, result: true });
        expect(posts.get('multiGet')).toMatchObject({ keys: ['a', 'b'], result: [1, 2] });
        expect(posts.get('multiSet')).toMatchObject({ keys: ['c'], value: [3], result: true });
        expect(posts.get('exists')).toMatchObject({ key: 'a', result: true });
        expect(posts.get('increment')).toMatchObject({ key: 'n', value: 2, result: 2 });
        expect(posts.get('expire')).toMatchObject({ key: 'a', result: true });
        expect(posts.get('delete')).toMatchObject({ key: 'b', result: 1 });
        expect(posts.get('getOrSet')).toMatchObject({ key: 'g', result: 'made', hit: false });
        expect(posts.get('lock')).toMatchObject({ key: 'l' });
        expect(posts.get('optimisticLock')).toMatchObject({ key: 'a' });
        expect(posts.get('clear')).toMatchObject({ result: true });
      });

      it('a hook that throws rejects the command; a pre hook stops it from running', async () => {
        const cache = await open({
          plugins: [
            {
              preSet: () => {
                throw new Error('refused');
              },
            },
          ],
        });
        await expect(cache.set('k', 'v')).rejects.toThrow('refused');
        expect(await cache.exists('k')).toBe(false);
      });

      it('hitMissRatio counts hits and misses; timing gives per-command stats', async () => {
        const cache = await open({ plugins: ['hitMissRatio', 'timing'] });
        await cache.set('a', 1);
        await cache.get('a');
        await cache.get('b');
        await cache.get('b', { default: 0 });
        await cache.multiGet(['a', 'b']);
        const [ratio, timer] = cache.plugins as unknown as [{ hits: number; total: number; hitRatio: number }, { stats(): Record<string, { count: number; min: number; max: number; avg: number; total: number }> }];
        expect([ratio.hits, ratio.total, ratio.hitRatio]).toEqual([2, 5, 0.4]);
        const stats = timer.stats();
        expect(stats.get.count).toBe(3);
        expect(stats.set.count).toBe(1);
        expect(stats.get.min).toBeLessThanOrEqual(stats.get.max);
        expect(stats.get.avg).toBeCloseTo(stats.get.total / 3);
      });
    });

    describe('timeouts', () => {
      const slow: CachePlugin = { preGet: () => sleep(60) };

      it('a command past its timeout rejects with TIMEOUT; { timeout } per call overrides', async () => {
        // The timed-out command goes on until its rejection is seen: a fixed sleep could end in
        // the same turn as the deadline's check after a stall of the process (a loaded machine),
        // and an answer that arrived by then is rightly taken.
        let release!: () => void;
        let held: Promise<void> | undefined = new Promise<void>((resolve) => {
          release = resolve;
        });
        const cache = await open({ plugins: [{ preGet: () => held ?? sleep(60) }], timeout: 10 });
        const error = await rejection(cache.get('k'));
        release();
        held = undefined;
        expect(error.code).toBe('TIMEOUT');
        expect(await cache.get('k', { timeout: 2_000, default: 'done' })).toBe('done');
      });

      it('a timeout of 0 waits as long as it takes', async () => {
        const cache = await open({ plugins: [slow], timeout: 0 });
        expect(await cache.get('k', { default: 'done' })).toBe('done');
      });

      it('refuses a timeout that is not a duration, as a rejection for a call', async () => {
        await expect(Promise.resolve().then(() => make({ namespace: freshNamespace(), timeout: 'later' }))).rejects.toMatchObject({ code: 'INVALID_OPTION' });
        const cache = await open();
        expect((await rejection(cache.get('k', { timeout: 'later' }))).code).toBe('INVALID_OPTION');
        expect((await rejection(cache.set('k', 'v', { timeout: -1 }))).code).toBe('INVALID_OPTION');
        expect(await cache.exists('k')).toBe(false);
      });
    });

    describe('getOrSet', () => {
      it('runs the factory on a miss and stores its result; a hit does not run it', async () => {
        const cache = await open();
        let runs = 0;
        const factory = async () => {
          runs++;
          return 'made';
        };
        expect(await cache.getOrSet('k', factory)).toBe('made');
        expect(await cache.getOrSet('k', factory)).toBe('made');
        expect(await cache.get('k')).toBe('made');
        expect(runs).toBe(1);
      });

      it('runs the factory once for concurrent callers of one key', async () => {
        const cache = await open();
        let runs = 0;
        const factory = async () => {
          runs++;
          await sleep(20);
          return runs;
        };
        const results = await Promise.all(Array.from({ length: 10 }, () => cache.getOrSet('k', factory)));
        expect(results).toEqual(Array(10).fill(1));
        expect(runs).toBe(1);
      });

      it('a failing factory rejects and stores nothing; the next call runs again', async () => {
        const cache = await open();
        await expect(cache.getOrSet('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
        expect(await cache.exists('k')).toBe(false);
        expect(await cache.getOrSet('k', () => 'second')).toBe('second');
      });

      it('stores with the ttl given', async () => {
        const cache = await open();
        await cache.getOrSet('k', () => 'v', { ttl: TTL });
        await outlive();
        expect(await cache.get('k')).toBeUndefined();
      });
    });

    describe('lock', () => {
      it('a second lock of the key waits for the release, in the same process too', async () => {
        const cache = await open();
        const first = await cache.lock('job');
        expect((await rejection(cache.lock('job', { wait: 30 }))).code).toBe('TIMEOUT');
        const order: string[] = [];
        const waiter = cache.lock('job').then((handle) => {
          order.push('acquired');
          return handle;
        });
        await sleep(20);
        order.push('releasing');
        expect(await first.release()).toBe(true);
        const second = await waiter;
        expect(order).toEqual(['releasing', 'acquired']);
        expect(second.key).toBe('job');
        await second.release();
      });

      it('only the owner releases: a stale handle resolves false and leaves the new holder alone', async () => {
        const cache = await open();
        const first = await cache.lock('job');
        expect(await first.release()).toBe(true);
        expect(await first.release()).toBe(false);
        const second = await cache.lock('job');
        expect(await first.release()).toBe(false);
        expect(await first.extend()).toBe(false);
        expect((await rejection(cache.lock('job', { wait: 20 }))).code).toBe('TIMEOUT');
        expect(await second.extend()).toBe(true);
        await second.release();
      });

      it('Symbol.asyncDispose releases the lock', async () => {
        const cache = await open();
        const handle = await cache.lock('job');
        await handle[Symbol.asyncDispose]();
        const again = await cache.lock('job', { wait: 1_000 });
        await again.release();
      });

      it('the lease is renewed while the lock is held', async () => {
        const cache = await open();
        // Real leases are long enough that a busy machine's late renewal does not lose the lock.
        const lease = fake ? 150 : 400;
        const handle = await cache.lock('job', { lease });
        // Well past two leases, in the lease's own time (the fake clock moves with real time here).
        for (let step = 0; step < 6; step++) {
          await sleep(lease / 2.5);
          if (fake) now += lease / 2.5;
        }
        expect((await rejection(cache.lock('job', { wait: 100 }))).code).toBe('TIMEOUT');
        expect(await handle.release()).toBe(true);
      });

      if (fake) {
        it("a lock whose lease ran out unrenewed is taken over; the old handle's release resolves false", async () => {
          const cache = await open();
          const stalled = await cache.lock('job', { lease: 1_000 });
          now += 1_001; // as if the holder died: no renewal ran in that time
          const taker = await cache.lock('job', { wait: 1_000 });
          expect(await stalled.release()).toBe(false);
          expect((await rejection(cache.lock('job', { wait: 20 }))).code).toBe('TIMEOUT');
          await taker.release();
        });
      }

      it('locks do not touch values', async () => {
        const cache = await open();
        await cache.set('job', 'value');
        const handle = await cache.lock('job');
        const other = await cache.lock('other');
        expect(await cache.get('job')).toBe('value');
        expect(await cache.exists('other')).toBe(false);
        await cache.clear();
        expect((await rejection(cache.lock('job', { wait: 20 }))).code).toBe('TIMEOUT');
        await handle.release();
        await other.release();
      });

      it('refuses a lease that is not a positive duration', async () => {
        const cache = await open();
        expect((await rejection(cache.lock('job', { lease: 0 }))).code).toBe('INVALID_OPTION');
      });
    });

    describe('optimisticLock', () => {
      it('reads undefined for an absent key, and cas creates it', async () => {
        const cache = await open();
        const lock = await cache.optimisticLock('k');
        expect(lock.value).toBeUndefined();
        expect(await lock.cas('created')).toBe(true);
        expect(await cache.get('k')).toBe('created');
      });

      it('cas stores when nobody wrote since the read, and may be repeated by the same reader', async () => {
        const cache = await open();
        await cache.set('k', 1);
        const lock = await cache.optimisticLock('k');
        expect(lock.value).toBe(1);
        expect(await lock.cas(2)).toBe(true);
        expect(await lock.cas(3)).toBe(true);
        expect(await cache.get('k')).toBe(3);
      });

      it('cas rejects with LOCK_CONFLICT when the key was written since the read', async () => {
        const cache = await open();
        await cache.set('k', 'v1');
        const lock = await cache.optimisticLock('k');
        await cache.set('k', 'other');
        expect((await rejection(lock.cas('mine'))).code).toBe('LOCK_CONFLICT');
        expect(await cache.get('k')).toBe('other');
      });

      it('conflicts by version, not by value: an A-B-A write still conflicts', async () => {
        const cache = await open();
        await cache.set('k', 'A');
        const lock = await cache.optimisticLock('k');
        await cache.set('k', 'B');
        await cache.set('k', 'A');
        expect((await rejection(lock.cas('C'))).code).toBe('LOCK_CONFLICT');
      });

      it('conflicts when an absent key was created, or a present one deleted, since the read', async () => {
        const cache = await open();
        const absent = await cache.optimisticLock('new');
        await cache.add('new', 'theirs');
        expect((await rejection(absent.cas('mine'))).code).toBe('LOCK_CONFLICT');
        await cache.set('old', 'v');
        const present = await cache.optimisticLock('old');
        await cache.delete('old');
        expect((await rejection(present.cas('mine'))).code).toBe('LOCK_CONFLICT');
        await cache.increment('counter');
        const counter = await cache.optimisticLock('counter');
        await cache.increment('counter');
        expect((await rejection(counter.cas(10))).code).toBe('LOCK_CONFLICT');
      });
    });

    describe('raw and close', () => {
      if (options.raw) {
        it('raw runs a backend command through the cache connection', async () => {
          await options.raw!(await open());
        });
      } else {
        it('raw rejects with UNSUPPORTED on a backend without commands of its own', async () => {
          const cache = await open();
          expect((await rejection(cache.raw('GET', 'k'))).code).toBe('UNSUPPORTED');
        });
      }

      it('close is idempotent; a closed cache rejects further commands', async () => {
        const cache = await open();
        await cache.set('k', 'v');
        await cache.close();
        await cache.close();
        await expect(cache.get('k')).rejects.toBeDefined();
      });
    });
  });
}
