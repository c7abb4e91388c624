import { createMemoryCore } from '../../backends/memory';
import { cached } from '../../lib/cached';
import { resetGlobalParams } from '../../lib/config/global-params';
import type { CachedOptions } from '../../lib/options';
import { manualClock, offsetClock, recordingLogger, settle, uniqueName, until } from '../support/engine-helpers';

afterEach(() => resetGlobalParams());

/** A counter function on the memory core whose results say which run produced them. */
function counted(options: CachedOptions = {}) {
  const clock = manualClock();
  let runs = 0;
  const f = cached((x: number) => `${x}#${++runs}`, {
    name: uniqueName('calls'),
    backend: 'memory',
    clock: clock.now,
    ...options,
  });
  return { f, clock, runs: () => runs };
}

describe('fn.with(callOptions)', () => {
  test('skipCache neither reads nor writes', async () => {
    const { f, runs } = counted();
    await f.precacheValue([1], 'stored');
    expect(f.with({ skipCache: true })(1)).toBe('1#1');
    expect(f.with({ skipCache: true })(2)).toBe('2#2');
    expect(await f.isCached(2)).toBe(false);
    expect(f(1)).toBe('stored');
    expect(runs()).toBe(2);
  });

  test('overwriteCache recomputes a fresh entry and stores the new value', () => {
    const { f, runs } = counted();
    expect(f(1)).toBe('1#1');
    expect(f.with({ overwriteCache: true })(1)).toBe('1#2');
    expect(f(1)).toBe('1#2');
    expect(runs()).toBe(2);
  });

  test('maxAge: an entry older than maxAge is recomputed, a younger one is a hit', () => {
    const { f, clock } = counted();
    expect(f(1)).toBe('1#1');
    clock.advance(30_000);
    expect(f.with({ maxAge: '1m' })(1)).toBe('1#1');
    expect(f.with({ maxAge: '10s' })(1)).toBe('1#2');
    expect(f(1)).toBe('1#2');
  });

  test('maxAge never extends staleAfter: the smaller of the two wins', () => {
    const { f, clock } = counted({ staleAfter: '20s' });
    expect(f(1)).toBe('1#1');
    clock.advance(30_000);
    expect(f.with({ maxAge: '1h' })(1)).toBe('1#2');
  });

  test('a negative maxAge always recomputes, even a just-stored entry and even with nextTime', () => {
    const { f, runs } = counted({ staleAfter: '1h', nextTime: true });
    expect(f(1)).toBe('1#1');
    expect(f.with({ maxAge: -1 })(1)).toBe('1#2');
    expect(f.with({ maxAge: -1 })(1)).toBe('1#3');
    expect(f(1)).toBe('1#3');
    expect(runs()).toBe(3);
  });

  test('a negative maxAge, like overwriteCache, never takes the result of a calculation that began before its call', async () => {
    for (const callOptions of [{ maxAge: -1 }, { overwriteCache: true }]) {
      const releases: Array<() => void> = [];
      let runs = 0;
      const f = cached(
        async (x: number) => {
          const run = ++runs;
          await new Promise<void>((release) => releases.push(release));
          return `${x}#${run}`;
        },
        { name: uniqueName('newer'), backend: 'memory' },
      );
      const older = f(1);
      await until(() => runs === 1);
      const newer = f.with(callOptions)(1);
      releases[0]();
      expect(await older).toBe('1#1');
      await until(() => runs === 2); // the newer caller computes once the older run is done
      releases[1]();
      expect([callOptions, await newer]).toEqual([callOptions, '1#2']);
    }
  });

  test('staleAfter overrides the function setting in both directions', () => {
    const { f, clock } = counted({ staleAfter: '1h' });
    expect(f(1)).toBe('1#1');
    clock.advance(30_000);
    expect(f.with({ staleAfter: '10s' })(1)).toBe('1#2');

    const short = counted({ staleAfter: '10s' });
    expect(short.f(1)).toBe('1#1');
    short.clock.advance(30_000);
    expect(short.f.with({ staleAfter: '1d' })(1)).toBe('1#1');
    expect(short.f(1)).toBe('1#2');
  });

  test('nextTime per call: serve stale and refresh in the background, or recompute now', async () => {
    const { f, clock, runs } = counted({ staleAfter: '10s' });
    expect(f(1)).toBe('1#1');
    clock.advance(11_000);
    expect(f.with({ nextTime: true })(1)).toBe('1#1');
    await until(() => runs() === 2);
    expect(f(1)).toBe('1#2');

    const eager = counted({ staleAfter: '10s', nextTime: true });
    expect(eager.f(1)).toBe('1#1');
    eager.clock.advance(11_000);
    expect(eager.f.with({ nextTime: false })(1)).toBe('1#2');
    await settle();
    expect(eager.runs()).toBe(2);
  });

  test('allowNone per call', () => {
    let runs = 0;
    const f = cached(() => {
      runs++;
      return null;
    }, { name: uniqueName('none-call'), backend: 'memory' });
    f();
    f();
    expect(runs).toBe(2);
    expect(f.with({ allowNone: true })()).toBeNull();
    expect(runs).toBe(2);
  });

  test('verbose logs the decision path through the logger; without it nothing is logged', async () => {
    const logger = recordingLogger();
    const { f } = counted({ logger });
    f(1);
    f(1);
    expect(logger.debugs).toEqual([]);

    f.with({ verbose: true })(2);
    f.with({ verbose: true })(2);
    expect(logger.debugs.length).toBeGreaterThanOrEqual(3);
    expect(logger.debugs.join('\n')).toMatch(/no usable entry: computing[\s\S]*running the function[\s\S]*fresh entry: hit/);
    expect(logger.debugs.every((line) => line.includes(f.cacheName))).toBe(true);
    expect(logger.warns).toEqual([]);
  });

  test('verbose traces the decisions of async functions too', async () => {
    const logger = recordingLogger();
    const f = cached(async (x: number) => x, { name: uniqueName('verbose-async'), backend: 'memory', logger });
    await f.with({ verbose: true })(1);
    await f.with({ verbose: true })(1);
    expect(logger.debugs.join('\n')).toMatch(/computing[\s\S]*running the function[\s\S]*hit/);
  });

  test('unknown or invalid call options are rejected when with() is called', () => {
    const { f } = counted();
    expect(() => f.with({ skipcache: true } as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => f.with({ maxAge: 'soon' })).toThrow(/maxAge/);
    expect(() => f.with({ verbose: 'yes' as never })).toThrow(/verbose/);
  });
});

describe('management methods', () => {
  test('precacheValue stores a value for an argument tuple and returns it', async () => {
    let runs = 0;
    const add = cached((a: number, b: number) => {
      runs++;
      return a + b;
    }, { name: uniqueName('add'), backend: 'memory' });
    await expect(add.precacheValue([2, 2], 5)).resolves.toBe(5);
    expect(add(2, 2)).toBe(5);
    expect(runs).toBe(0);
  });

  test('precacheValue without an argument array (plain JS) is a MemoirError saying how to call it', async () => {
    const add = cached((a: number) => a, { name: uniqueName('add'), backend: 'memory' });
    const call = (add.precacheValue as (args: unknown, value: unknown) => Promise<unknown>)(2, 5);
    await expect(call).rejects.toMatchObject({ name: 'MemoirError', code: 'UNHASHABLE_ARGUMENT' });
    await expect(call).rejects.toThrow('precacheValue([2, 2], value); got 2');
    expect(await add.isCached(2)).toBe(false);
  });

  test('clearCache deletes every entry of the function, and only of that function', async () => {
    const { f, runs } = counted();
    const other = counted();
    f(1);
    f(2);
    other.f(1);
    await f.clearCache();
    expect(await f.isCached(1)).toBe(false);
    expect(await f.isCached(2)).toBe(false);
    expect(await other.f.isCached(1)).toBe(true);
    f(1);
    expect(runs()).toBe(3);
  });

  test('clearBeingCalculated drops foreign marks so the next call computes without waiting', async () => {
    const name = uniqueName('clear-marks');
    const core = createMemoryCore(name);
    const f = cached(async (x: number): Promise<number | string> => x * 3, { name, backend: core });
    const now = Date.now();
    core.sync!.acquire(f.keyFor(1), { owner: 'stuck', now, leaseUntil: now + 3_600_000 });
    await f.precacheValue([2], 'kept');
    core.sync!.acquire(f.keyFor(2), { owner: 'stuck', now, leaseUntil: now + 3_600_000 });

    await f.clearBeingCalculated();
    expect(core.sync!.get(f.keyFor(1))).toBeUndefined();
    expect(core.sync!.get(f.keyFor(2))).toEqual({ value: 'kept', time: expect.any(Number), completed: true, promised: true });
    await expect(f(1)).resolves.toBe(3);
    expect(f.stats().waits).toBe(0);
  });

  test('clearBeingCalculated lets go of callers in this process that joined a hanging calculation: they compute', async () => {
    let runs = 0;
    const f = cached(
      async (x: number) => {
        const run = ++runs;
        if (run === 1) await new Promise(() => {}); // hangs
        return `${x}#${run}`;
      },
      { name: uniqueName('hanging'), backend: 'memory' },
    );
    void f(1);
    await until(() => runs === 1);
    const waiters = [f(1), f(1)];
    await settle();
    expect(f.stats().waits).toBe(2);
    await f.clearBeingCalculated();
    expect(await Promise.all(waiters)).toEqual(['1#2', '1#2']); // one new calculation, shared
    expect(runs).toBe(2);
  });

  test('cachePath is undefined on the memory backend', () => {
    expect(counted().f.cachePath()).toBeUndefined();
  });

  test('invalidate deletes the entry for those arguments only', async () => {
    const { f, runs } = counted();
    f(1);
    f(2);
    await f.invalidate(1);
    expect(await f.isCached(1)).toBe(false);
    expect(await f.isCached(2)).toBe(true);
    expect(f(1)).toBe('1#3');
    expect(f(2)).toBe('2#2');
    expect(runs()).toBe(3);
  });

  test('peek returns the cached value (fresh or stale) without computing', async () => {
    const { f, clock, runs } = counted({ staleAfter: '1s' });
    await expect(f.peek(1)).resolves.toBeUndefined();
    f(1);
    await expect(f.peek(1)).resolves.toBe('1#1');
    clock.advance(5_000);
    await expect(f.peek(1)).resolves.toBe('1#1');
    expect(runs()).toBe(1);
    expect(f.stats()).toMatchObject({ hits: 0, misses: 1 });
  });

  test('isCached is true only for a completed entry, not for a placeholder', async () => {
    const name = uniqueName('is-cached');
    const core = createMemoryCore(name);
    const f = cached((x: number) => x, { name, backend: core });
    expect(await f.isCached(1)).toBe(false);
    f(1);
    expect(await f.isCached(1)).toBe(true);
    const now = Date.now();
    core.sync!.acquire(f.keyFor(2), { owner: 'other', now, leaseUntil: now + 60_000 });
    expect(await f.isCached(2)).toBe(false);
  });

  test('keyFor is the key the entry is stored under, equal for equal arguments', () => {
    const name = uniqueName('key-for');
    const core = createMemoryCore(name);
    const f = cached((o: { a: number; b: number }) => o.a + o.b, { name, backend: core });
    expect(f.keyFor({ a: 1, b: 2 })).toBe(f.keyFor({ b: 2, a: 1 }));
    expect(f.keyFor({ a: 1, b: 2 })).not.toBe(f.keyFor({ a: 2, b: 1 }));
    f({ a: 1, b: 2 });
    expect(core.sync!.keys()).toEqual([f.keyFor({ a: 1, b: 2 })]);
  });

  test('stats counts every kind of decision and returns a snapshot', async () => {
    const clock = offsetClock(); // the sync wait below ends by real time
    const name = uniqueName('stats');
    const core = createMemoryCore(name);
    const f = cached((x: number) => (x === 0 ? 'z'.repeat(100) : x), {
      name,
      backend: core,
      clock: clock.now,
      staleAfter: '1m',
      nextTime: true,
      entrySizeLimit: 50,
      waitForCalcTimeout: 1,
    });
    const before = f.stats();
    f(1); // miss + recalculation
    f(1); // hit
    clock.advance(61_000);
    f(1); // stale hit, background recalculation
    await until(() => f.stats().recalculations === 2);
    f(0); // miss, recalculation, size rejection
    core.sync!.acquire(f.keyFor(2), { owner: 'other', now: clock.now(), leaseUntil: clock.now() + 60_000 });
    f(2); // miss, wait, wait timeout, recalculation
    expect(f.stats()).toEqual({
      hits: 1,
      misses: 3,
      staleHits: 1,
      recalculations: 4,
      waits: 1,
      waitTimeouts: 1,
      sizeLimitRejections: 1,
      backendErrors: 0,
    });
    expect(before).toEqual({
      hits: 0,
      misses: 0,
      staleHits: 0,
      recalculations: 0,
      waits: 0,
      waitTimeouts: 0,
      sizeLimitRejections: 0,
      backendErrors: 0,
    });
  });
});
