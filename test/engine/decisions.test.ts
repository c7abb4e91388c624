import { createFileCore } from '../../backends/file';
import { createMemoryCore } from '../../backends/memory';
import { cached } from '../../lib/cached';
import { resetGlobalParams } from '../../lib/config/global-params';
import { tempDirs } from '../support/file-temp-dirs';
import { deferred, manualClock, settle, uniqueName, until } from '../support/engine-helpers';

afterEach(() => resetGlobalParams());

describe('fresh hit and miss', () => {
  test('the first call misses and runs the body; the next call is a hit', () => {
    const clock = manualClock();
    let runs = 0;
    const square = cached((x: number) => {
      runs++;
      return x * x;
    }, { name: uniqueName('square'), backend: 'memory', clock: clock.now });

    expect(square(4)).toBe(16);
    expect(square(4)).toBe(16);
    expect(runs).toBe(1);
    expect(square.stats()).toMatchObject({ hits: 1, misses: 1, recalculations: 1 });
  });

  test('an entry younger than staleAfter is a hit', () => {
    const clock = manualClock();
    let runs = 0;
    const f = cached(() => ++runs, { name: uniqueName('fresh'), backend: 'memory', staleAfter: '1m', clock: clock.now });
    f();
    clock.advance(59_000);
    expect(f()).toBe(1);
    expect(runs).toBe(1);
  });
});

describe('stale entries', () => {
  test('without nextTime a stale entry is recomputed before returning', () => {
    const clock = manualClock();
    let runs = 0;
    const f = cached(() => ++runs, { name: uniqueName('stale'), backend: 'memory', staleAfter: '1m', clock: clock.now });
    expect(f()).toBe(1);
    clock.advance(61_000);
    expect(f()).toBe(2);
    expect(f()).toBe(2);
    expect(f.stats()).toMatchObject({ hits: 1, misses: 2, staleHits: 0, recalculations: 2 });
  });

  test('with nextTime a sync function returns the stale value at once and refreshes once in the background', async () => {
    const clock = manualClock();
    let runs = 0;
    const f = cached((x: number) => x * 100 + ++runs, {
      name: uniqueName('next-sync'),
      backend: 'memory',
      staleAfter: '1m',
      nextTime: true,
      clock: clock.now,
    });
    expect(f(1)).toBe(101);
    clock.advance(61_000);

    const answers = Array.from({ length: 50 }, () => f(1));
    expect(answers.every((a) => a === 101)).toBe(true); // sync values, the stale one
    expect(runs).toBe(1); // nothing ran in the foreground
    await until(() => runs === 2);
    await settle();
    expect(runs).toBe(2);
    expect(f(1)).toBe(102);
    expect(f.stats()).toMatchObject({ staleHits: 50, recalculations: 2 });
  });

  test('with nextTime an async function resolves with the stale value while a single refresh runs', async () => {
    const clock = manualClock();
    const gates: Array<ReturnType<typeof deferred<void>>> = [];
    let runs = 0;
    const f = cached(
      async (x: number) => {
        const run = ++runs;
        if (run > 1) {
          const gate = deferred<void>();
          gates.push(gate);
          await gate.promise;
        }
        return `${x}:${run}`;
      },
      { name: uniqueName('next-async'), backend: 'memory', staleAfter: '1m', nextTime: true, clock: clock.now },
    );
    expect(await f(7)).toBe('7:1');
    clock.advance(61_000);

    const answers = await Promise.all(Array.from({ length: 100 }, () => f(7)));
    expect(new Set(answers)).toEqual(new Set(['7:1']));
    await until(() => runs === 2);
    // Callers arriving while the refresh is still running get the stale value and start nothing.
    expect(await Promise.all([f(7), f(7), f(7)])).toEqual(['7:1', '7:1', '7:1']);
    await settle();
    expect(runs).toBe(2);

    gates[0].resolve();
    await until(() => f.stats().recalculations === 2);
    await settle();
    expect(await f(7)).toBe('7:2');
    expect(runs).toBe(2);
  });

  test('each stale key gets its own refresh', async () => {
    const clock = manualClock();
    const seen: number[] = [];
    const f = cached(
      (x: number) => {
        seen.push(x);
        return x;
      },
      { name: uniqueName('next-keys'), backend: 'memory', staleAfter: 10, nextTime: true, clock: clock.now },
    );
    f(1);
    f(2);
    clock.advance(11);
    for (let i = 0; i < 10; i++) {
      f(1);
      f(2);
    }
    await until(() => seen.length === 4);
    await settle();
    expect(seen.sort()).toEqual([1, 1, 2, 2]);
  });
});

/**
 * Waiting runs on Jest's fake timers, which move Date, performance.now and every timer
 * together: a test advances minutes of polling, leases and renewals in microseconds, and an
 * engine that acted too early (or never) is caught, whatever the machine's load.
 */
describe('waiting for another caller', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  function setup(options: { waitForCalcTimeout?: string | number } = {}) {
    const name = uniqueName('waiter');
    const core = createMemoryCore(name);
    let runs = 0;
    const f = cached(
      async (x: number) => {
        runs++;
        return `mine:${x}`;
      },
      { name, backend: core, ...options },
    );
    const key = f.keyFor(1);
    const holdMark = (leaseMs: number) =>
      core.sync!.acquire(key, { owner: 'other-process', now: Date.now(), leaseUntil: Date.now() + leaseMs });
    let settled = false;
    const call = () => {
      const result = f(1);
      void result.then(
        () => (settled = true),
        () => (settled = true),
      );
      return result;
    };
    return { core, f, key, holdMark, call, runs: () => runs, settled: () => settled };
  }

  test('a caller waits for the live mark of another owner and uses its value', async () => {
    const { core, key, holdMark, call, f, runs, settled } = setup();
    expect(holdMark(60_000).acquired).toBe(true);
    const result = call();
    await jest.advanceTimersByTimeAsync(59_000); // a minute of polling, inside the other owner's lease
    expect(f.stats().waits).toBe(1);
    expect(settled()).toBe(false);
    expect(runs()).toBe(0);

    core.sync!.write(key, 'theirs', { time: Date.now(), owner: 'other-process' });
    await jest.advanceTimersByTimeAsync(300); // the next poll sees it
    await expect(result).resolves.toBe('theirs');
    expect(runs()).toBe(0);
    expect(f.stats()).toMatchObject({ waits: 1, waitTimeouts: 0, recalculations: 0 });
  });

  test('waitForCalcTimeout: the waiter computes itself once the timeout has passed, not before', async () => {
    const { core, f, key, holdMark, call, runs, settled } = setup({ waitForCalcTimeout: '5s' });
    holdMark(3_600_000);
    const result = call();
    await jest.advanceTimersByTimeAsync(4_900);
    expect(settled()).toBe(false);
    expect(runs()).toBe(0);

    await jest.advanceTimersByTimeAsync(200);
    await expect(result).resolves.toBe('mine:1');
    expect(runs()).toBe(1);
    expect(f.stats()).toMatchObject({ waits: 1, waitTimeouts: 1, recalculations: 1 });
    // The other owner's mark is not ours to clear.
    expect(core.sync!.get(key)?.processing?.owner).toBe('other-process');
  });

  test('waitForCalcTimeout is measured on a monotonic clock: a frozen `clock` does not stretch it', async () => {
    const name = uniqueName('frozen-clock');
    const core = createMemoryCore(name);
    const frozen = () => 1_700_000_000_000;
    const f = cached(async (x: number) => `mine:${x}`, { name, backend: core, clock: frozen, waitForCalcTimeout: '300ms' });
    core.sync!.acquire(f.keyFor(1), { owner: 'other-process', now: frozen(), leaseUntil: frozen() + 60_000 });
    const result = f(1);
    await jest.advanceTimersByTimeAsync(400);
    await expect(result).resolves.toBe('mine:1');
    expect(f.stats()).toMatchObject({ waits: 1, waitTimeouts: 1 });
  });

  test('a dead calculator: once its lease expires the waiter takes over and stores the value', async () => {
    const { core, f, key, holdMark, call, runs, settled } = setup();
    holdMark(10_000);
    const result = call();
    await jest.advanceTimersByTimeAsync(9_000);
    expect(settled()).toBe(false);

    await jest.advanceTimersByTimeAsync(1_300);
    await expect(result).resolves.toBe('mine:1');
    expect(f.stats()).toMatchObject({ waits: 1, waitTimeouts: 0, recalculations: 1 });
    const entry = core.sync!.get(key);
    expect(entry).toMatchObject({ completed: true, value: 'mine:1' });
    expect(entry?.processing).toBeUndefined();
    expect(await f(1)).toBe('mine:1');
    expect(runs()).toBe(1);
  });

  test('a calculator that gives up (mark released, no value): the waiter computes', async () => {
    const { core, key, holdMark, call, runs } = setup();
    holdMark(60_000);
    const result = call();
    await jest.advanceTimersByTimeAsync(1_000);
    core.sync!.release(key, 'other-process');
    await jest.advanceTimersByTimeAsync(300);
    await expect(result).resolves.toBe('mine:1');
    expect(runs()).toBe(1);
  });
});

describe('waiting for another caller, sync functions (real time: a sync wait blocks the thread)', () => {
  test('a sync function gives up waiting after waitForCalcTimeout and returns synchronously', () => {
    const name = uniqueName('sync-waiter');
    const core = createMemoryCore(name);
    const f = cached((x: number) => x + 1, { name, backend: core, waitForCalcTimeout: 30 });
    const now = Date.now();
    core.sync!.acquire(f.keyFor(1), { owner: 'other-process', now, leaseUntil: now + 60_000 });
    const started = Date.now();
    expect(f(1)).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(f.stats()).toMatchObject({ waits: 1, waitTimeouts: 1 });
  });

  test("a sync function takes over a dead calculator's mark", () => {
    const name = uniqueName('sync-dead');
    const core = createMemoryCore(name);
    let time = 1_000_000;
    // Every reading of the clock moves it 2 s: the other owner's 20 s lease runs out after a few polls.
    const clock = () => {
      time += 2_000;
      return time;
    };
    const f = cached((x: number) => x + 1, { name, backend: core, clock });
    core.sync!.acquire(f.keyFor(1), { owner: 'other-process', now: time, leaseUntil: time + 20_000 });
    expect(f(1)).toBe(2);
    expect(f.stats()).toMatchObject({ waits: 1, waitTimeouts: 0, recalculations: 1 });
    expect(core.sync!.get(f.keyFor(1))).toMatchObject({ completed: true, value: 2 });
  });
});

describe('waiting inside one process', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  test('a caller joining an in-process calculation gives up after waitForCalcTimeout and computes', async () => {
    const gate = deferred<void>();
    let runs = 0;
    const f = cached(async (x: number) => {
      const run = ++runs;
      if (run === 1) await gate.promise; // the first calculation hangs
      return `${x}#${run}`;
    }, { name: uniqueName('inproc-timeout'), backend: 'memory', waitForCalcTimeout: 40 });
    const first = f(1);
    await jest.advanceTimersByTimeAsync(0);
    expect(runs).toBe(1);
    let joined: string | undefined;
    void f(1).then((value) => (joined = value));
    await jest.advanceTimersByTimeAsync(39);
    expect(joined).toBeUndefined();
    await jest.advanceTimersByTimeAsync(2);
    expect(joined).toBe('1#2');
    expect(f.stats()).toMatchObject({ waits: 1, waitTimeouts: 1, recalculations: 2 });
    gate.resolve();
    await expect(first).resolves.toBe('1#1');
  });

  test('without waitForCalcTimeout an in-process caller waits as long as the calculation runs', async () => {
    const gate = deferred<void>();
    let runs = 0;
    const f = cached(async (x: number) => {
      runs++;
      await gate.promise;
      return `${x}#${runs}`;
    }, { name: uniqueName('inproc-wait'), backend: 'memory' });
    const calls = [f(1), f(1)];
    let settled = false;
    void Promise.all(calls).then(() => {
      settled = true;
    });
    await jest.advanceTimersByTimeAsync(3_600_000); // an hour
    expect(settled).toBe(false);
    expect(runs).toBe(1);
    gate.resolve();
    expect(await Promise.all(calls)).toEqual(['1#1', '1#1']);
    expect(f.stats()).toMatchObject({ waits: 1, waitTimeouts: 0 });
  });

  test('a running calculation renews its mark: another engine sharing the name waits past the lease', async () => {
    const name = uniqueName('renewal');
    let runs = 0;
    const body = async (x: number) => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 250_000));
      return x;
    };
    // Two functions of one name are two engines on one store, like two processes.
    const here = cached(body, { name, backend: 'memory', lease: '60s' });
    const there = cached(body, { name, backend: 'memory', lease: '60s' });
    const first = here(1);
    await jest.advanceTimersByTimeAsync(120_000); // twice the lease
    const second = there(1);
    await jest.advanceTimersByTimeAsync(131_000);
    expect(await Promise.all([first, second])).toEqual([1, 1]);
    expect(runs).toBe(1);
    expect(there.stats()).toMatchObject({ waits: 1, recalculations: 0 });
  });
});

describe('allowNone', () => {
  test('null and undefined results are recomputed by default', () => {
    let runs = 0;
    const nothing = cached((kind: string) => {
      runs++;
      return kind === 'null' ? null : undefined;
    }, { name: uniqueName('none-default'), backend: 'memory' });
    expect(nothing('null')).toBeNull();
    expect(nothing('null')).toBeNull();
    expect(nothing('undefined')).toBeUndefined();
    expect(nothing('undefined')).toBeUndefined();
    expect(runs).toBe(4);
    expect(nothing.stats().hits).toBe(0);
  });

  test('with allowNone cached null and undefined are returned', async () => {
    let runs = 0;
    const nothing = cached(async (kind: string) => {
      runs++;
      return kind === 'null' ? null : undefined;
    }, { name: uniqueName('none-allowed'), backend: 'memory', allowNone: true });
    expect(await nothing('null')).toBeNull();
    expect(await nothing('null')).toBeNull();
    expect(await nothing('undefined')).toBeUndefined();
    expect(await nothing('undefined')).toBeUndefined();
    expect(runs).toBe(2);
    expect(nothing.stats().hits).toBe(2);
  });

  test('a placeholder is never a value, even with allowNone', async () => {
    const name = uniqueName('none-placeholder');
    const core = createMemoryCore(name);
    let runs = 0;
    const f = cached(async () => ++runs, { name, backend: core, allowNone: true, waitForCalcTimeout: 1 });
    const now = Date.now();
    core.sync!.acquire(f.keyFor(), { owner: 'other-process', now, leaseUntil: now + 60_000 });
    expect(await f()).toBe(1);
  });
});

describe('entrySizeLimit', () => {
  test('a result over the limit is returned but not stored, and counted', async () => {
    let runs = 0;
    const f = cached((size: number) => {
      runs++;
      return 'x'.repeat(size);
    }, { name: uniqueName('size'), backend: 'memory', entrySizeLimit: '1KB' });

    expect(f(2_000)).toHaveLength(2_000);
    expect(await f.isCached(2_000)).toBe(false);
    expect(f(2_000)).toHaveLength(2_000);
    expect(runs).toBe(2);
    expect(f.stats().sizeLimitRejections).toBe(2);

    expect(f(10)).toHaveLength(10);
    expect(f(10)).toHaveLength(10);
    expect(runs).toBe(3);
    expect(await f.isCached(10)).toBe(true);
    expect(f.stats().sizeLimitRejections).toBe(2);
  });
});

describe('cleanupStale', () => {
  test('stale entries are deleted in the background, at most once per cleanupInterval', async () => {
    const clock = manualClock();
    const name = uniqueName('cleanup');
    const core = createMemoryCore(name);
    const deleteStale = jest.spyOn(core, 'deleteStale');
    const f = cached((x: number) => x, {
      name,
      backend: core,
      staleAfter: '1m',
      cleanupStale: true,
      cleanupInterval: '1h',
      clock: clock.now,
    });
    f(1);
    f(2);
    await settle();
    expect(deleteStale).toHaveBeenCalledTimes(1);

    clock.advance(2 * 60_000); // 1 and 2 are stale now, but the interval has not passed
    for (let i = 0; i < 5; i++) f(3);
    await settle();
    expect(deleteStale).toHaveBeenCalledTimes(1);
    expect(core.sync!.keys()).toHaveLength(3);

    clock.advance(60 * 60_000);
    f(4);
    await settle();
    expect(deleteStale).toHaveBeenCalledTimes(2);
    expect(core.sync!.keys()).toEqual([f.keyFor(4)]);
  });

  test('without cleanupStale nothing is deleted', async () => {
    const clock = manualClock();
    const name = uniqueName('no-cleanup');
    const core = createMemoryCore(name);
    const f = cached((x: number) => x, { name, backend: core, staleAfter: 10, clock: clock.now });
    f(1);
    clock.advance(1_000);
    f(2);
    await settle();
    expect(core.sync!.keys()).toHaveLength(2);
  });
});

describe('in-flight fencing', () => {
  test('clearCache during a calculation: the result is returned but not stored', async () => {
    const gate = deferred<void>();
    let runs = 0;
    const f = cached(async (x: number) => {
      runs++;
      if (runs === 1) await gate.promise;
      return x * 2;
    }, { name: uniqueName('fence'), backend: 'memory' });

    const inFlight = f(21);
    await until(() => runs === 1);
    await f.clearCache();
    gate.resolve();
    await expect(inFlight).resolves.toBe(42);
    expect(await f.isCached(21)).toBe(false);
    expect(await f(21)).toBe(42);
    expect(runs).toBe(2);
    expect(await f.isCached(21)).toBe(true);
  });

  test('invalidate(args) during a calculation of that key: result returned, not stored', async () => {
    const gate = deferred<void>();
    let runs = 0;
    const f = cached(async (x: number) => {
      const run = ++runs;
      if (run === 1) await gate.promise;
      return `${x}#${run}`;
    }, { name: uniqueName('fence-key'), backend: 'memory' });

    const inFlight = f(1);
    const other = f(2);
    await until(() => runs === 2);
    await f.invalidate(1);
    // A caller arriving after the invalidation does not join the fenced calculation.
    const after = f(1);
    gate.resolve();
    await expect(inFlight).resolves.toBe('1#1');
    await expect(after).resolves.toBe('1#3');
    await expect(other).resolves.toBe('2#2');
    expect(await f.peek(1)).toBe('1#3');
    expect(await f.isCached(2)).toBe(true); // other keys are not fenced
  });
});

describe('waitForCalcTimeout on the file backend with a frozen clock (real time: file waits are real)', () => {
  const dirs = tempDirs();
  const dir = dirs.make();
  afterAll(() => dirs.removeAll());

  test.each([
    ['async', async (x: number) => `mine:${x}`],
    ['sync', (x: number) => `mine:${x}`],
  ])('%s: a frozen clock does not stretch the wait', async (_flavour, body) => {
    const frozen = () => 1_700_000_000_000;
    const name = uniqueName('frozen-file');
    const f = cached(body, { name, backend: 'file', cacheDir: dir, clock: frozen, waitForCalcTimeout: '300ms' });
    const core = createFileCore(name, { cacheDir: dir });
    core.sync!.acquire(f.keyFor(1), { owner: 'other-process', now: frozen(), leaseUntil: frozen() + 60_000 });
    const started = performance.now();
    await expect(Promise.resolve(f(1))).resolves.toBe('mine:1');
    expect(performance.now() - started).toBeLessThan(20_000); // bounded: on the old code it never returned
    expect(f.stats()).toMatchObject({ waits: 1, waitTimeouts: 1 });
  });
});
