import { createMemoryCore } from '../../backends/memory';
import { cached } from '../../lib/cached';
import { resetGlobalParams } from '../../lib/config/global-params';
import { deferred, uniqueName, until } from '../support/engine-helpers';

afterEach(() => resetGlobalParams());

describe('in-process single-flight', () => {
  test('1,000 concurrent calls of one key run the body once and all get its value', async () => {
    const gate = deferred<void>();
    let runs = 0;
    const slow = cached(async (id: string) => {
      runs++;
      await gate.promise;
      return { id, loaded: true };
    }, { name: uniqueName('flight'), backend: 'memory' });

    const calls = Array.from({ length: 1_000 }, () => slow('k'));
    gate.resolve();
    const results = await Promise.all(calls);
    expect(runs).toBe(1);
    expect(results.every((r) => r.id === 'k' && r.loaded)).toBe(true);
    expect(slow.stats()).toMatchObject({ recalculations: 1, waits: 999 });
  });

  test('when the calculation rejects it still runs once and all 1,000 callers get the same rejection', async () => {
    const gate = deferred<void>();
    const failure = new Error('database down');
    let runs = 0;
    const broken = cached(async (_id: string) => {
      runs++;
      await gate.promise;
      throw failure;
    }, { name: uniqueName('flight-error'), backend: 'memory' });

    const settled = Promise.allSettled(Array.from({ length: 1_000 }, () => broken('k')));
    gate.resolve();
    const outcomes = await settled;
    expect(runs).toBe(1);
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason === failure)).toBe(true);
  });

  test('calls of different keys do not share a calculation', async () => {
    let runs = 0;
    const f = cached(async (x: number) => {
      runs++;
      return x;
    }, { name: uniqueName('flight-keys'), backend: 'memory' });
    expect(await Promise.all([f(1), f(2), f(1), f(2)])).toEqual([1, 2, 1, 2]);
    expect(runs).toBe(2);
  });
});

describe('errors are never cached', () => {
  test('a sync throw reaches the caller as thrown, and the next call recomputes', () => {
    const name = uniqueName('throws');
    const core = createMemoryCore(name);
    let runs = 0;
    const f = cached((x: number) => {
      runs++;
      if (runs === 1) throw new TypeError('first call fails');
      return x;
    }, { name, backend: core });
    expect(() => f(1)).toThrow(TypeError);
    expect(core.sync!.keys()).toEqual([]); // no value, no leftover mark
    expect(f(1)).toBe(1);
    expect(runs).toBe(2);
  });

  test('a rejection reaches the caller unchanged, and the next call recomputes', async () => {
    const name = uniqueName('rejects');
    const core = createMemoryCore(name);
    const failure = new RangeError('nope');
    let runs = 0;
    const f = cached(async (x: number) => {
      runs++;
      if (runs === 1) throw failure;
      return x;
    }, { name, backend: core });
    await expect(f(1)).rejects.toBe(failure);
    expect(core.sync!.keys()).toEqual([]);
    await expect(f(1)).resolves.toBe(1);
    expect(runs).toBe(2);
  });

  test('a rejected background refresh keeps the stale value and is retried later', async () => {
    let time = 1_000;
    let runs = 0;
    const f = cached(async () => {
      runs++;
      if (runs === 2) throw new Error('refresh failed');
      return runs;
    }, {
      name: uniqueName('refresh-fails'),
      backend: 'memory',
      staleAfter: 10,
      nextTime: true,
      clock: () => time,
      logger: { debug: () => {}, warn: () => {} },
    });
    expect(await f()).toBe(1);
    time += 20;
    expect(await f()).toBe(1);
    await until(() => runs === 2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await f()).toBe(1);
    await until(() => runs === 3);
    await until(() => f.stats().recalculations === 3);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await f()).toBe(3);
  });
});

describe('sync stays sync, async returns promises', () => {
  test('a sync function returns plain values on a miss and on a hit', () => {
    const f = cached((x: number) => x + 1, { name: uniqueName('sync'), backend: 'memory' });
    const miss = f(1);
    const hit = f(1);
    expect(miss).toBe(2);
    expect(hit).toBe(2);
    expect(miss).not.toBeInstanceOf(Promise);
  });

  test('an async function returns promises on a miss and on a hit', async () => {
    const f = cached(async (x: number) => x + 1, { name: uniqueName('async'), backend: 'memory' });
    const miss = f(1);
    expect(miss).toBeInstanceOf(Promise);
    await miss;
    const hit = f(1);
    expect(hit).toBeInstanceOf(Promise);
    expect(await hit).toBe(2);
  });

  test('an async function returns a promise even when its first call is a precached hit', async () => {
    const f = cached(async (x: number) => x + 1, { name: uniqueName('async-pre'), backend: 'memory' });
    await f.precacheValue([1], 10);
    const hit = f(1);
    expect(hit).toBeInstanceOf(Promise);
    expect(await hit).toBe(10);
  });

  test('a plain function returning promises keeps returning promises after the first result', async () => {
    const f = cached((x: number) => Promise.resolve(x * 2), { name: uniqueName('thenable'), backend: 'memory' });
    const first = f(2);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toBe(4);
    const hit = f(2);
    expect(hit).toBeInstanceOf(Promise);
    expect(await hit).toBe(4);
  });
});
