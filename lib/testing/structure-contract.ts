import type { CacheOptions, KeyValueCache } from '../contract';
import { rejection, sleep, structureClassesOn } from './helpers';

/**
 * The one suite of the data-structure caches (API.md section 8), run on every backend: a
 * backend with native structures (Redis, memory) and one where they are built on the
 * key-value commands (file, SQL, mongo, yours) must behave the same.
 *
 *   describeStructureContract('file', (options) => new FileCache({ ...options, cacheDir }), { fakeTime: true });
 *
 * The factory receives `namespace` (fresh per suite) and, with `fakeTime`, a `clock`.
 */
export type MakeStructureCache = (options: CacheOptions) => KeyValueCache | Promise<KeyValueCache>;

export interface StructureContractOptions {
  /** The backend keeps time with the `clock` option (memory, file, mongo): ttls are tested by moving it. Otherwise with real short ttls. */
  fakeTime?: boolean;
  /** The real ttl in ms when `fakeTime` is false. Default 400. */
  realTtlMs?: number;
  /** Called once after the suite. */
  teardown?: () => Promise<void> | void;
}

const T0 = 1_700_000_000_000;
let namespaces = 0;

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

export function describeStructureContract(
  label: string,
  make: MakeStructureCache,
  options: StructureContractOptions = {},
): void {
  const fake = options.fakeTime === true;
  const TTL = fake ? 10_000 : (options.realTtlMs ?? 400);
  let now = T0;
  let cache: KeyValueCache;
  let keys = 0;
  /** A fresh key per test: the suite shares one cache (and namespace). */
  const fresh = (name: string) => `${name}-${keys++}`;

  /** Classes on this suite's cache: what a user's subclasses look like. */
  const classes = () => structureClassesOn(cache);

  describe(`${label}: data-structure caches`, () => {
    beforeAll(async () => {
      cache = await make({
        namespace: `structures-${process.pid}-${Date.now().toString(36)}-${namespaces++}`,
        ...(fake ? { clock: () => now } : {}),
      });
    });

    beforeEach(() => {
      now = T0;
    });

    afterAll(async () => {
      await cache.clear().catch(() => undefined);
      await cache.close();
      await options.teardown?.();
    });

    describe('ValueCache', () => {
      it('get, set, increment from a value or from nothing, delete, exists', async () => {
        const { Value } = classes();
        const value = new Value(fresh('v'));
        expect(await value.get()).toBeUndefined();
        expect(await value.exists()).toBe(false);
        expect(await value.set(5)).toBe(true);
        expect(await value.increment(10)).toBe(15);
        expect(await value.get()).toBe(15);
        expect(await value.exists()).toBe(true);
        expect(await value.delete()).toBe(true);
        expect(await value.delete()).toBe(false);
        expect(await new Value(fresh('counter')).increment()).toBe(1);
      });

      it('keeps any value the serializer keeps; increment of a text rejects with NOT_A_NUMBER', async () => {
        const { Value } = classes();
        const value = new Value(fresh('v'), { data: { at: new Date(0), tags: ['a'] } });
        expect(await value.get()).toEqual({ at: new Date(0), tags: ['a'] });
        await value.set('text');
        expect((await rejection(value.increment())).code).toBe('NOT_A_NUMBER');
        expect((await rejection(value.increment(1.5))).code).toBe('INVALID_ARGUMENT');
      });

      it('12 concurrent increments from different objects of one key: 12, each result once', async () => {
        const { Value } = classes();
        const key = fresh('race');
        const results = await Promise.all(
          Array.from({ length: 12 }, () => new Value(key).increment()),
        );
        expect(results.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      });
    });

    describe('DictCache', () => {
      it('behaves like a Map: set (true when new), get, has, delete, size, clear', async () => {
        const { Dict } = classes();
        const dict = new Dict(fresh('d'));
        expect(await dict.size()).toBe(0);
        expect(await dict.set('a', 1)).toBe(true);
        expect(await dict.set('a', 2)).toBe(false);
        expect(await dict.set('b', { nested: [new Date(0)] })).toBe(true);
        expect(await dict.get('a')).toBe(2);
        expect(await dict.get('b')).toEqual({ nested: [new Date(0)] });
        expect(await dict.get('missing')).toBeUndefined();
        expect(await dict.has('a')).toBe(true);
        expect(await dict.size()).toBe(2);
        expect(await dict.delete('a')).toBe(true);
        expect(await dict.delete('a')).toBe(false);
        expect(await dict.has('a')).toBe(false);
        await dict.clear();
        expect(await dict.size()).toBe(0);
        expect(await collect(dict)).toEqual([]);
      });

      it('keys are typed values: 1 and "1" differ, objects match by content, and they come back as given', async () => {
        const { Dict } = classes();
        const dict = new Dict(fresh('d'));
        await dict.set(1, 'number');
        await dict.set('1', 'string');
        await dict.set({ a: 1, b: [2n, null] }, 'object');
        expect(await dict.get(1)).toBe('number');
        expect(await dict.get('1')).toBe('string');
        expect(await dict.get({ b: [2n, null], a: 1 })).toBe('object');
        const entries = await collect(dict.entries());
        expect(entries).toHaveLength(3);
        expect(entries).toEqual(
          expect.arrayContaining([
            [1, 'number'],
            ['1', 'string'],
            [{ a: 1, b: [2n, null] }, 'object'],
          ]),
        );
        expect((await collect(dict.keys())).length).toBe(3);
        expect((await collect(dict.values())).sort()).toEqual(['number', 'object', 'string']);
        expect((await rejection(dict.set(() => 1, 'x'))).code).toBe('UNHASHABLE_ARGUMENT');
      });

      it('data replaces what the key held; update stores many in one operation', async () => {
        const { Dict } = classes();
        const key = fresh('d');
        await new Dict(key).set('old', 1);
        const dict = new Dict(key, { data: { x: 1, y: 2 } });
        expect(await dict.ready()).toBe(dict);
        expect(new Map(await collect(dict))).toEqual(
          new Map([
            ['x', 1],
            ['y', 2],
          ]),
        );
        expect(
          await dict.update(
            new Map([
              ['y', 3],
              ['z', 4],
            ]),
          ),
        ).toBe(1);
        expect(await dict.update([['w', 0]])).toBe(1);
        expect(new Map(await collect(dict))).toEqual(
          new Map([
            ['w', 0],
            ['x', 1],
            ['y', 3],
            ['z', 4],
          ]),
        );
      });

      it('12 concurrent sets of different keys from different objects: none is lost', async () => {
        const { Dict } = classes();
        const key = fresh('d');
        const added = await Promise.all(
          Array.from({ length: 12 }, (_, i) => new Dict(key).set(`k${i}`, i)),
        );
        expect(added.every(Boolean)).toBe(true);
        expect(await new Dict(key).size()).toBe(12);
      });
    });

    describe('SetCache', () => {
      it('behaves like a Set: add (true when new), has, delete, size, values, clear', async () => {
        const { Members } = classes();
        const set = new Members(fresh('s'));
        expect(await set.add('a')).toBe(true);
        expect(await set.add('a')).toBe(false);
        expect(await set.add(1)).toBe(true);
        expect(await set.add(['pair', 2])).toBe(true);
        expect(await set.has('a')).toBe(true);
        expect(await set.has('1')).toBe(false);
        expect(await set.has(['pair', 2])).toBe(true);
        expect(await set.size()).toBe(3);
        expect(await collect(set)).toEqual(expect.arrayContaining(['a', 1, ['pair', 2]]));
        expect((await collect(set.entries())).every(([a, b]) => a === b)).toBe(true);
        expect(await set.delete('a')).toBe(true);
        expect(await set.delete('a')).toBe(false);
        await set.clear();
        expect(await set.size()).toBe(0);
      });

      it('data replaces the members; 12 concurrent adds of one member: exactly one is new', async () => {
        const { Members } = classes();
        const key = fresh('s');
        await new Members(key).add('old');
        const set = new Members(key, { data: ['x', 'y', 'x'] });
        expect((await collect(set.values())).sort()).toEqual(['x', 'y']);
        const outcomes = await Promise.all(
          Array.from({ length: 12 }, () => new Members(key).add('first')),
        );
        expect(outcomes.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('SortedSetCache', () => {
      it('orders by score, ties by member; pop and popMax take the ends; range is by rank, inclusive', async () => {
        const { Ranked } = classes();
        const z = new Ranked(fresh('z'));
        expect(await z.add(1, 'bar')).toBe(true);
        expect(await z.add(10, 'che')).toBe(true);
        expect(await z.add(5, 'b')).toBe(true);
        expect(await z.add(5, 'a')).toBe(true);
        expect(await z.add(-2.5, 'low')).toBe(true);
        expect(await z.range(0, -1)).toEqual([
          [-2.5, 'low'],
          [1, 'bar'],
          [5, 'a'],
          [5, 'b'],
          [10, 'che'],
        ]);
        expect(await z.range(1, 2)).toEqual([
          [1, 'bar'],
          [5, 'a'],
        ]);
        expect(await z.range(-2, -1)).toEqual([
          [5, 'b'],
          [10, 'che'],
        ]);
        expect(await z.range(3, 100)).toEqual([
          [5, 'b'],
          [10, 'che'],
        ]);
        expect(await z.range(4, 1)).toEqual([]);
        expect(await z.pop()).toEqual([-2.5, 'low']);
        expect(await z.popMax()).toEqual([10, 'che']);
        expect(await z.size()).toBe(3);
        expect(await collect(z)).toEqual([
          [1, 'bar'],
          [5, 'a'],
          [5, 'b'],
        ]);
        expect(await collect(z.values())).toEqual(['bar', 'a', 'b']);
      });

      it('add of a present member moves it; score, has, delete; pop of an empty set is undefined', async () => {
        const { Ranked } = classes();
        const z = new Ranked(fresh('z'), {
          data: [
            [3, { id: 1 }],
            [2, 'x'],
          ],
        });
        expect(await z.add(1, { id: 1 })).toBe(false);
        expect(await z.score({ id: 1 })).toBe(1);
        expect(await z.has('x')).toBe(true);
        expect(await z.has('y')).toBe(false);
        expect(await z.score('y')).toBeUndefined();
        expect(await z.pop()).toEqual([1, { id: 1 }]);
        expect(await z.delete('x')).toBe(true);
        expect(await z.delete('x')).toBe(false);
        expect(await z.pop()).toBeUndefined();
        expect(await z.popMax()).toBeUndefined();
        expect((await rejection(z.add(Number.NaN, 'n'))).code).toBe('INVALID_ARGUMENT');
        expect((await rejection(z.range(0, 1.5))).code).toBe('INVALID_ARGUMENT');
      });

      it('16 concurrent pops of a 12-member set from different objects: each member popped once', async () => {
        const { Ranked } = classes();
        const key = fresh('z');
        await new Ranked(key, {
          data: Array.from({ length: 12 }, (_, i) => [i, `m${i}`] as [number, string]),
        }).ready();
        const popped = await Promise.all(Array.from({ length: 16 }, () => new Ranked(key).pop()));
        const members = popped.filter((entry) => entry !== undefined).map((entry) => entry![1]);
        expect(members.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`).sort());
      });
    });

    describe('SentinelCache', () => {
      it('claim is true for exactly one of many concurrent callers, until cleared', async () => {
        const { Gate } = classes();
        const key = fresh('gate');
        const outcomes = await Promise.all(Array.from({ length: 12 }, () => new Gate(key).claim()));
        expect(outcomes.filter(Boolean)).toHaveLength(1);
        const gate = new Gate(key);
        expect(await gate.isClaimed()).toBe(true);
        expect(await gate.claim()).toBe(false);
        expect(await gate.clear()).toBe(true);
        expect(await gate.isClaimed()).toBe(false);
        expect(await gate.claim()).toBe(true);
        expect(await new Gate(key, { data: false }).claim()).toBe(true);
        const marked = new Gate(fresh('gate'), { data: true });
        expect(await marked.claim()).toBe(false);
      });
    });

    describe('serialize = false', () => {
      it('stores strings and numbers as text; numbers come back as numbers; other values are refused', async () => {
        const { Value, Dict, Members, Ranked } = classes();
        class RawValue extends Value {
          static override serialize = false;
        }
        class RawDict extends Dict {
          static override serialize = false;
        }
        class RawSet extends Members {
          static override serialize = false;
        }
        class RawRanked extends Ranked {
          static override serialize = false;
        }
        const value = new RawValue(fresh('raw'), { data: 5 });
        expect(await value.increment(2)).toBe(7);
        await value.set('text');
        expect(await value.get()).toBe('text');
        const dict = new RawDict(fresh('raw'), { data: { n: 5, f: 1.5, s: 'text' } });
        expect(new Map(await collect(dict))).toEqual(
          new Map<string, unknown>([
            ['n', 5],
            ['f', 1.5],
            ['s', 'text'],
          ]),
        );
        expect((await rejection(dict.set('o', { no: 1 }))).code).toBe('INVALID_ARGUMENT');
        const set = new RawSet(fresh('raw'), { data: ['a', 2] });
        expect((await collect(set)).sort()).toEqual([2, 'a']);
        expect(await set.has('2')).toBe(true); // raw members are their text
        const z = new RawRanked(fresh('raw'), { data: [[1, 'x']] });
        expect(await z.pop()).toEqual([1, 'x']);
      });
    });

    describe('keys and types', () => {
      it('a structure lives at its key: the cache reads a ValueCache, and another kind of structure there is WRONG_TYPE', async () => {
        const { Value, Dict, Members } = classes();
        class Prefixed extends Value {
          static override prefix = 'Prefixed';
        }
        const key = fresh('k');
        const value = new Prefixed([key, 2]);
        expect(value.key).toBe(`Prefixed.${key}.2`);
        await value.set('hello');
        expect(await cache.get(`Prefixed.${key}.2`)).toBe('hello');
        expect((await rejection(new Dict(`Prefixed.${key}.2`).get('x'))).code).toBe('WRONG_TYPE');
        const dictKey = fresh('k');
        await new Dict(dictKey).set('a', 1);
        expect((await rejection(new Members(dictKey).add('x'))).code).toBe('WRONG_TYPE');
      });
    });

    describe('time to live', () => {
      /**
       * One run with `ttl`: writes, a pause, writes of every kind, a pause, reads. On real time a
       * stalled process can make the run unable to tell (a pause that outlasted the ttl): it
       * says so, and the test runs again with a longer ttl instead of judging the scheduler.
       */
      async function scenario(ttl: number): Promise<{ judged: boolean }> {
        const { Value: V, Dict: D, Members: S, Ranked: Z, Gate: G } = structureClassesOn(cache, ttl);
        const value = new V(fresh('ttl'));
        const dict = new D(fresh('ttl'));
        const set = new S(fresh('ttl'));
        const z = new Z(fresh('ttl'));
        const gate = new G(fresh('ttl'));
        const counter = new V(fresh('ttl'));
        const pass = async (share: number) => {
          if (fake) now += Math.ceil(ttl * share);
          else await sleep(Math.ceil(ttl * share));
        };
        const firstSent = Date.now();
        await Promise.all([value.set(1), dict.set('a', 1), set.add('a'), z.add(1, 'a'), z.add(2, 'b'), gate.claim(), counter.increment()]);
        await pass(0.6);
        // Writes of each kind (increment, pop and delete included) move the expiry; reads do not.
        const secondSent = Date.now();
        await Promise.all([value.set(2), dict.set('b', 2), set.delete('missing').then(() => set.add('b')), z.pop(), counter.increment(), gate.isClaimed(), dict.get('a')]);
        const secondDone = Date.now();
        await pass(0.6);
        const alive = await Promise.all([value.get(), dict.size(), set.size(), z.size(), counter.get(), gate.isClaimed()]);
        // The first writes were still live when the second landed, and the second when read.
        if (!fake && (secondDone - firstSent >= ttl - 20 || Date.now() - secondSent >= ttl - 20)) return { judged: false };
        expect(alive).toEqual([2, 2, 2, 1, 2, false]);
        expect(await gate.claim()).toBe(true);
        await pass(1.1);
        expect(await Promise.all([value.get(), dict.size(), set.size(), z.size(), counter.get(), gate.isClaimed()])).toEqual([undefined, 0, 0, 0, undefined, false]);
        return { judged: true };
      }

      it('the whole structure lives `ttl` after its last write: every write refreshes it, reads do not', async () => {
        let judged = false;
        for (let ttl = TTL; !judged && ttl <= TTL * 8; ttl *= 2) ({ judged } = await scenario(ttl));
        expect(judged).toBe(true);
      }, 60_000);
    });
  });
}
