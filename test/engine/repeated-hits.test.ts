import { cached } from '../../lib/cached';
import { disableCaching, enableCaching, resetGlobalParams, setGlobalParams } from '../../lib/config/global-params';
import type { Core, StoreOperations } from '../../lib/contract/core';
import { createMemoryCore } from '../../backends/memory';
import { getCacheManager } from '../../lib/manager';
import { counter, manualClock, pricesAt, recordingLogger, uniqueName } from '../support/engine-helpers';

/**
 * The repeated-hit path of the engine (Memo.call): a call whose arguments read as the last
 * call's, whose key was a hit, is answered from that lookup while the memory store's revision
 * stands. Each test here changes one thing that path must notice.
 */
afterEach(() => {
  resetGlobalParams();
  jest.useRealTimers();
});

describe('repeated hits on the memory backend', () => {
  test('a mutated object argument is a new key, not the last hit', () => {
    const { fn, runs } = counter((q: { tags: string[] }) => q.tags.join());
    const f = cached(fn, { name: uniqueName('mutated'), backend: 'memory' });
    const query = { tags: ['a'] };
    expect(f(query)).toBe('a#1');
    expect(f(query)).toBe('a#1');
    query.tags.push('b');
    expect(f(query)).toBe('a,b#2');
    expect(f({ tags: ['a'] })).toBe('a#1');
    expect(runs()).toBe(2);
  });

  test('precacheValue, invalidate and clearCache are seen by the next call', async () => {
    const { fn, runs } = counter((x: number) => x);
    const f = cached(fn, { name: uniqueName('managed'), backend: 'memory' });
    expect(f(1)).toBe('1#1');
    expect(f(1)).toBe('1#1');
    await f.precacheValue([1], 'stored');
    expect(f(1)).toBe('stored');
    await f.invalidate(1);
    expect(f(1)).toBe('1#2');
    expect(f(1)).toBe('1#2');
    await f.clearCache();
    expect(f(1)).toBe('1#3');
    expect(runs()).toBe(3);
  });

  test('another function of the same name changing the entry is seen by the next call', async () => {
    const name = uniqueName('shared');
    const { fn } = counter((x: number) => x);
    const f = cached(fn, { name, backend: 'memory' });
    const g = cached((x: number) => `g${x}`, { name, backend: 'memory' });
    expect(f(1)).toBe('1#1');
    expect(f(1)).toBe('1#1');
    await g.precacheValue([1], 'from g');
    expect(f(1)).toBe('from g');
    await g.invalidate(1);
    expect(f(1)).toBe('1#2');
    expect(g.with({ overwriteCache: true })(1)).toBe('g1');
    expect(f(1)).toBe('g1');
    await g.clearCache();
    expect(f(1)).toBe('1#3');
  });

  test('a manager invalidation of a cache it depends on is seen by the next call', () => {
    const parent = uniqueName('parent');
    getCacheManager().registerCache(parent);
    const { fn } = counter((x: number) => x);
    const f = cached(fn, { name: uniqueName('dependent'), backend: 'memory', dependsOn: [parent] });
    expect(f(1)).toBe('1#1');
    expect(f(1)).toBe('1#1');
    getCacheManager().invalidate(parent);
    expect(f(1)).toBe('1#2');
  });

  test('an entry that went stale by the injected clock is not served', () => {
    const clock = manualClock();
    const { fn, runs } = counter((x: number) => x);
    const f = cached(fn, { name: uniqueName('stale'), backend: 'memory', staleAfter: '1s', clock: clock.now });
    expect(f(1)).toBe('1#1');
    clock.advance(1000);
    expect(f(1)).toBe('1#1');
    clock.advance(1);
    expect(f(1)).toBe('1#2');
    expect(f(1)).toBe('1#2');
    expect(runs()).toBe(2);
  });

  test('an entry that went stale under fake timers is not served (async, nextTime)', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { fn, runs } = counter((x: number) => x);
    const f = cached(async (x: number) => fn(x), { name: uniqueName('fake-timers'), backend: 'memory', staleAfter: '1m', nextTime: true });
    expect(await f(1)).toBe('1#1');
    expect(await f(1)).toBe('1#1');
    jest.advanceTimersByTime(60_001);
    expect(await f(1)).toBe('1#1'); // stale: answered at once, refreshed in the background
    expect(f.stats().staleHits).toBe(1);
    await jest.runAllTimersAsync();
    expect(runs()).toBe(2);
    expect(await f(1)).toBe('1#2');
  });

  test('stats stay exact: every hit and miss is counted once', async () => {
    const f = cached((x: number) => x * 2, { name: uniqueName('stats'), backend: 'memory' });
    for (let i = 0; i < 10; i++) f(1);
    f(2);
    f(2);
    expect(f.stats()).toMatchObject({ hits: 10, misses: 2, recalculations: 2 });
    const g = cached(async (x: number) => x * 2, { name: uniqueName('stats-async'), backend: 'memory' });
    for (let i = 0; i < 10; i++) await g(1);
    expect(g.stats()).toMatchObject({ hits: 9, misses: 1, recalculations: 1 });
  });

  test('onEvent hears of every hit', () => {
    const events: string[] = [];
    const f = cached((x: number) => x, { name: uniqueName('events'), backend: 'memory', onEvent: (e) => events.push(e.type) });
    for (let i = 0; i < 5; i++) f(1);
    expect(events.filter((type) => type === 'hit')).toHaveLength(4);
    expect(f.stats().hits).toBe(4);
  });

  test('-0 and 0 stay two keys however the calls alternate', () => {
    const { fn, runs } = counter((x: number) => Object.is(x, -0));
    const f = cached(fn, { name: uniqueName('zeros'), backend: 'memory' });
    expect([f(0), f(0), f(-0), f(-0), f(0), f(5), f(-0)]).toEqual(['false#1', 'false#1', 'true#2', 'true#2', 'false#1', 'false#3', 'true#2']);
    expect(runs()).toBe(3);
  });

  test('hits of an unchanged entry of an async function share one settled promise', async () => {
    const f = cached(async (x: number) => ({ x }), { name: uniqueName('same-promise'), backend: 'memory' });
    const value = await f(1);
    const first = f(1);
    expect(f(1)).toBe(first);
    expect(await first).toBe(value);
    await f.precacheValue([1], { x: 2 });
    const after = f(1);
    expect(after).not.toBe(first);
    expect(await after).toEqual({ x: 2 });
  });

  test('with copy: true every hit is a private copy', () => {
    const f = cached((x: number) => ({ x }), { name: uniqueName('copy'), backend: 'memory', copy: true });
    const first = f(1);
    const second = f(1);
    const third = f(1);
    expect(second).toEqual(first);
    expect(third).not.toBe(second);
    expect(f.stats().hits).toBe(2);
  });

  test('setGlobalParams and disableCaching take effect on the next call', () => {
    const clock = manualClock();
    const { fn, runs } = counter((x: number) => x);
    const f = cached(fn, { name: uniqueName('globals'), backend: 'memory', clock: clock.now });
    expect(f(1)).toBe('1#1');
    expect(f(1)).toBe('1#1');
    disableCaching();
    expect(f(1)).toBe('1#2');
    enableCaching();
    expect(f(1)).toBe('1#1');
    clock.advance(5000);
    setGlobalParams({ staleAfter: '1s' });
    expect(f(1)).toBe('1#3');
    expect(runs()).toBe(3);
  });

  test('per-call options are applied after repeated hits', () => {
    const { fn, runs } = counter((x: number) => x);
    const f = cached(fn, { name: uniqueName('per-call'), backend: 'memory' });
    expect(f(1)).toBe('1#1');
    expect(f(1)).toBe('1#1');
    expect(f.with({ skipCache: true })(1)).toBe('1#2');
    expect(f.with({ maxAge: -1 })(1)).toBe('1#3');
    expect(f(1)).toBe('1#3');
    expect(runs()).toBe(3);
  });

  test('a hashFunc is asked on every call: the same arguments may key differently', () => {
    let salt = 'a';
    const { fn } = counter((x: number) => x);
    const f = cached(fn, { name: uniqueName('hash-func'), backend: 'memory', hashFunc: (args) => `${salt}:${String(args[0])}` });
    expect(f(1)).toBe('1#1');
    expect(f(1)).toBe('1#1');
    salt = 'b';
    expect(f(1)).toBe('1#2');
  });

  test('a method keys its instance state on every call', () => {
    const prices = pricesAt(2);
    expect(prices.price(10)).toBe(20);
    expect(prices.price(10)).toBe(20);
    prices.rate = 3;
    expect(prices.price(10)).toBe(30);
  });

  test('a function that turns out to return promises answers every later hit with a promise', async () => {
    const f = cached((x: number) => (x === 1 ? 'one' : Promise.resolve('two')), { name: uniqueName('turns-async'), backend: 'memory' });
    expect(f(1)).toBe('one');
    expect(f(1)).toBe('one');
    expect(await f(2)).toBe('two');
    const later = f(1);
    expect(later).toBeInstanceOf(Promise);
    expect(await later).toBe('one');
  });
});

describe('an async call on a non-blocking core whose sync read fails', () => {
  test('answers through its promise, running the function uncached', async () => {
    const name = uniqueName('failing-read');
    const memory = createMemoryCore(name);
    const sync: StoreOperations<'sync'> = {
      ...memory.sync!,
      get: () => {
        throw new Error('read failed');
      },
    };
    const core: Core = { ...memory, sync, nonBlocking: true };
    let runs = 0;
    const f = cached(async (x: number) => x + ++runs, { name, backend: core, logger: recordingLogger() });
    let answer: Promise<number> | undefined;
    expect(() => {
      answer = f(1);
    }).not.toThrow();
    await expect(answer).resolves.toBe(2);
    expect(runs).toBe(1);
  });
});
