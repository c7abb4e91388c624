import { cached } from '../../lib/cached';
import { disableCaching, enableCaching, resetGlobalParams, setGlobalParams } from '../../lib/config/global-params';
import { getCacheManager } from '../../lib/manager';
import { counter, manualClock, pricesAt, uniqueName } from '../support/engine-helpers';

/**
 * The general hit path of the engine (Memo.call): a call on primitive arguments whose key the
 * key trie remembers, and whose leaf noted a hit, is answered from that note while the memory
 * store's revision stands, even when the call before had other arguments. Every test turns
 * through two or more keys, so that no call repeats the one before (the repeated-hit path,
 * repeated-hits.test.ts, answers those), and changes one thing the general path must notice.
 */
afterEach(() => {
  resetGlobalParams();
  jest.useRealTimers();
});

/** Calls f on each argument list in turn, `rounds` times over. */
function turn<A extends unknown[]>(f: (...args: A) => unknown, lists: A[], rounds = 3): unknown[] {
  const answers: unknown[] = [];
  for (let r = 0; r < rounds; r++) for (const args of lists) answers.push(f(...args));
  return answers;
}

describe('general hits on the memory backend', () => {
  test('calls turning through several keys are hits, each answered with its own value', () => {
    const { fn, runs } = counter((a: number, b: string) => `${a}${b}`);
    const f = cached(fn, { name: uniqueName('turning'), backend: 'memory' });
    expect(turn(f, [[1, 'x'], [2, 'x'], [1, 'y']])).toEqual(['1x#1', '2x#2', '1y#3', '1x#1', '2x#2', '1y#3', '1x#1', '2x#2', '1y#3']);
    expect(runs()).toBe(3);
    expect(f.stats()).toMatchObject({ hits: 6, misses: 3, recalculations: 3 });
  });

  test('precacheValue, invalidate and clearCache by another function of the same name are seen', async () => {
    const name = uniqueName('shared');
    const { fn, runs } = counter((x: number) => x);
    const f = cached(fn, { name, backend: 'memory' });
    const g = cached((x: number) => `g${x}`, { name, backend: 'memory' });
    expect(turn(f, [[1], [2]])).toEqual(['1#1', '2#2', '1#1', '2#2', '1#1', '2#2']);
    await g.precacheValue([1], 'from g');
    expect(turn(f, [[2], [1]], 2)).toEqual(['2#2', 'from g', '2#2', 'from g']);
    await g.invalidate(2);
    expect(turn(f, [[1], [2]], 2)).toEqual(['from g', '2#3', 'from g', '2#3']);
    expect(g.with({ overwriteCache: true })(1)).toBe('g1');
    expect(turn(f, [[2], [1]], 1)).toEqual(['2#3', 'g1']);
    await g.clearCache();
    expect(turn(f, [[2], [1]], 2)).toEqual(['2#4', '1#5', '2#4', '1#5']);
    expect(runs()).toBe(5);
  });

  test('its own precacheValue, invalidate and clearCache are seen', async () => {
    const { fn, runs } = counter((x: number) => x);
    const f = cached(fn, { name: uniqueName('own'), backend: 'memory' });
    turn(f, [[1], [2]]);
    await f.precacheValue([2], 'stored');
    expect(turn(f, [[1], [2]], 2)).toEqual(['1#1', 'stored', '1#1', 'stored']);
    await f.invalidate(1);
    expect(turn(f, [[2], [1]], 2)).toEqual(['stored', '1#3', 'stored', '1#3']);
    await f.clearCache();
    expect(turn(f, [[2], [1]], 2)).toEqual(['2#4', '1#5', '2#4', '1#5']);
    expect(runs()).toBe(5);
  });

  test('a manager invalidation of a cache it depends on is seen', () => {
    const parent = uniqueName('parent');
    getCacheManager().registerCache(parent);
    const { fn } = counter((x: number) => x);
    const f = cached(fn, { name: uniqueName('dependent'), backend: 'memory', dependsOn: [parent] });
    expect(turn(f, [[1], [2]], 2)).toEqual(['1#1', '2#2', '1#1', '2#2']);
    getCacheManager().invalidate(parent);
    expect(turn(f, [[1], [2]], 2)).toEqual(['1#3', '2#4', '1#3', '2#4']);
  });

  test('an entry that went stale by the injected clock is not served', () => {
    const clock = manualClock();
    const { fn, runs } = counter((x: number) => x);
    const f = cached(fn, { name: uniqueName('stale'), backend: 'memory', staleAfter: '1s', clock: clock.now });
    expect(f(1)).toBe('1#1');
    clock.advance(500);
    expect(turn(f, [[2], [1]], 2)).toEqual(['2#2', '1#1', '2#2', '1#1']);
    clock.advance(500);
    expect(turn(f, [[2], [1]], 2)).toEqual(['2#2', '1#1', '2#2', '1#1']);
    clock.advance(1); // 1 is 1001 ms old, 2 is 501
    expect(turn(f, [[2], [1]], 2)).toEqual(['2#2', '1#3', '2#2', '1#3']);
    clock.advance(500); // 2 is 1001 ms old
    expect(turn(f, [[1], [2]], 2)).toEqual(['1#3', '2#4', '1#3', '2#4']);
    expect(runs()).toBe(4);
    expect(f.stats()).toMatchObject({ hits: 13, misses: 4 });
  });

  test('an entry that went stale under fake timers is not served (async, nextTime)', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { fn, runs } = counter((x: number) => x);
    const f = cached(async (x: number) => fn(x), { name: uniqueName('fake-timers'), backend: 'memory', staleAfter: '1m', nextTime: true });
    expect([await f(1), await f(2), await f(1), await f(2)]).toEqual(['1#1', '2#2', '1#1', '2#2']);
    jest.advanceTimersByTime(60_001);
    expect(await f(1)).toBe('1#1'); // stale: answered at once, refreshed in the background
    expect(await f(2)).toBe('2#2');
    expect(f.stats().staleHits).toBe(2);
    await jest.runAllTimersAsync();
    expect(runs()).toBe(4);
    expect([await f(1), await f(2), await f(1)]).toEqual(['1#3', '2#4', '1#3']);
  });

  test('stats stay exact, sync and async, whichever path answers', async () => {
    const f = cached((a: number, b: string) => a + b.length, { name: uniqueName('stats'), backend: 'memory' });
    for (let i = 0; i < 100; i++) f(i % 10, 'user');
    f(3, 'user');
    f(3, 'user');
    f(3, 'user');
    expect(f.stats()).toMatchObject({ hits: 93, misses: 10, recalculations: 10, staleHits: 0 });
    const g = cached(async (a: number, b: string) => a + b.length, { name: uniqueName('stats-async'), backend: 'memory' });
    for (let i = 0; i < 100; i++) await g(i % 10, 'user');
    expect(g.stats()).toMatchObject({ hits: 90, misses: 10, recalculations: 10 });
  });

  test('onEvent hears of every hit', () => {
    const events: string[] = [];
    const f = cached((x: number) => x, { name: uniqueName('events'), backend: 'memory', onEvent: (e) => events.push(e.type) });
    turn(f, [[1], [2]], 5);
    expect(events.filter((type) => type === 'hit')).toHaveLength(8);
    expect(f.stats().hits).toBe(8);
  });

  test('-0 and 0 stay two keys however the calls turn', () => {
    const { fn, runs } = counter((x: number, y: string) => `${Object.is(x, -0)}${y}`);
    const f = cached(fn, { name: uniqueName('zeros'), backend: 'memory' });
    expect(turn(f, [[0, 'a'], [-0, 'a'], [5, 'a']])).toEqual(['falsea#1', 'truea#2', 'falsea#3', 'falsea#1', 'truea#2', 'falsea#3', 'falsea#1', 'truea#2', 'falsea#3']);
    expect(runs()).toBe(3);
  });

  test('trailing undefined arguments key as their absence, as before', () => {
    const { fn, runs } = counter((a: number, b?: string) => `${a}${b ?? ''}`);
    const f = cached(fn, { name: uniqueName('trailing'), backend: 'memory' });
    expect(turn(f, [[1], [2, undefined], [1, undefined], [2]])).toEqual(['1#1', '2#2', '1#1', '2#2', '1#1', '2#2', '1#1', '2#2', '1#1', '2#2', '1#1', '2#2']);
    expect(f.keyFor(1)).toBe(f.keyFor(1, undefined));
    expect(runs()).toBe(2);
  });

  test('hits of an async function answer promises of the stored values', async () => {
    const f = cached(async (x: number) => ({ x }), { name: uniqueName('async-values'), backend: 'memory' });
    const one = await f(1);
    const two = await f(2);
    for (let i = 0; i < 3; i++) {
      const a = f(1);
      const b = f(2);
      expect(a).toBeInstanceOf(Promise);
      expect(await a).toBe(one);
      expect(await b).toBe(two);
    }
    await f.precacheValue([1], { x: 3 });
    expect(await f(2)).toBe(two);
    expect(await f(1)).toEqual({ x: 3 });
  });

  test('with copy: true every hit is a private copy', () => {
    const f = cached((x: number) => ({ x }), { name: uniqueName('copy'), backend: 'memory', copy: true });
    const answers = turn(f, [[1], [2]], 3) as Array<{ x: number }>;
    expect(answers.map((answer) => answer.x)).toEqual([1, 2, 1, 2, 1, 2]);
    expect(answers[2]).not.toBe(answers[4]);
    expect(answers[3]).not.toBe(answers[5]);
    expect(f.stats().hits).toBe(4);
  });

  test('setGlobalParams and disableCaching take effect on the next call', () => {
    const clock = manualClock();
    const { fn, runs } = counter((x: number) => x);
    const f = cached(fn, { name: uniqueName('globals'), backend: 'memory', clock: clock.now });
    expect(turn(f, [[1], [2]], 2)).toEqual(['1#1', '2#2', '1#1', '2#2']);
    disableCaching();
    expect(turn(f, [[1], [2]], 1)).toEqual(['1#3', '2#4']);
    enableCaching();
    expect(turn(f, [[1], [2]], 2)).toEqual(['1#1', '2#2', '1#1', '2#2']);
    clock.advance(5000);
    setGlobalParams({ staleAfter: '1s' });
    expect(turn(f, [[2], [1]], 2)).toEqual(['2#5', '1#6', '2#5', '1#6']);
    expect(runs()).toBe(6);
  });

  test('a setting that makes a null result a miss is applied to noted hits', () => {
    setGlobalParams({ allowNone: true });
    const results: Record<number, unknown> = { 1: null, 2: 'two' };
    let runs = 0;
    const f = cached((x: number) => {
      runs++;
      return results[x];
    }, { name: uniqueName('allow-none'), backend: 'memory' });
    expect(turn(f, [[1], [2]], 2)).toEqual([null, 'two', null, 'two']);
    expect(runs).toBe(2);
    setGlobalParams({ allowNone: false });
    expect(turn(f, [[2], [1]], 2)).toEqual(['two', null, 'two', null]);
    expect(runs).toBe(4); // null is no hit any more: each call of 1 runs the function
  });

  test('per-call options are applied between general hits', () => {
    const { fn, runs } = counter((x: number) => x);
    const f = cached(fn, { name: uniqueName('per-call'), backend: 'memory' });
    turn(f, [[1], [2]], 2);
    expect(f.with({ skipCache: true })(1)).toBe('1#3');
    expect(f.with({ maxAge: -1 })(2)).toBe('2#4');
    expect(turn(f, [[1], [2]], 2)).toEqual(['1#1', '2#4', '1#1', '2#4']);
    expect(runs()).toBe(4);
  });

  test('a function that turns out to return promises answers every later hit with a promise', async () => {
    const f = cached((x: number) => (x === 3 ? Promise.resolve('three') : `v${x}`), { name: uniqueName('turns-async'), backend: 'memory' });
    expect(turn(f, [[1], [2]], 2)).toEqual(['v1', 'v2', 'v1', 'v2']);
    expect(await f(3)).toBe('three');
    const later = [f(1), f(2), f(1)];
    for (const answer of later) expect(answer).toBeInstanceOf(Promise);
    expect(await Promise.all(later)).toEqual(['v1', 'v2', 'v1']);
  });

  test('a hashFunc is asked on every call', () => {
    let salt = 'a';
    const { fn } = counter((x: number) => x);
    const f = cached(fn, { name: uniqueName('hash-func'), backend: 'memory', hashFunc: (args) => `${salt}:${String(args[0])}` });
    expect(turn(f, [[1], [2]], 2)).toEqual(['1#1', '2#2', '1#1', '2#2']);
    salt = 'b';
    expect(turn(f, [[1], [2]], 1)).toEqual(['1#3', '2#4']);
  });

  test('a method keys its instance state on every call', () => {
    const prices = pricesAt(2);
    expect([prices.price(10), prices.price(20), prices.price(10), prices.price(20)]).toEqual([20, 40, 20, 40]);
    prices.rate = 3;
    expect([prices.price(10), prices.price(20)]).toEqual([30, 60]);
  });
});
