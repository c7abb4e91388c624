import { cached } from '../../lib/cached';
import { resetGlobalParams } from '../../lib/config/global-params';
import type { Core, StoreOperations } from '../../lib/contract/core';
import type { MemoirEvent } from '../../lib/contract/events';
import { createMemoryCore } from '../../backends/memory';
import { BACKEND_RETRY_MS } from '../../lib/engine/circuit-breaker';
import { deferred, recordingLogger, settle, uniqueName } from '../support/engine-helpers';

afterEach(() => resetGlobalParams());

const MEMBERS = ['get', 'acquire', 'renew', 'release', 'write', 'delete', 'clear', 'clearBeingCalculated', 'deleteStale', 'keys'] as const;

/** A core whose every operation fails, as a server that is down would; with or without sync operations. */
function brokenCore(name: string, withSync: boolean): Core {
  const fail = () => {
    throw new Error('connection refused');
  };
  const asyncOps = Object.fromEntries(MEMBERS.map((m) => [m, async () => fail()])) as unknown as StoreOperations<'async'>;
  const syncOps = Object.fromEntries(MEMBERS.map((m) => [m, fail])) as unknown as StoreOperations<'sync'>;
  return { name, ...asyncOps, ...(withSync ? { sync: syncOps } : {}) };
}

function setup(withSync: boolean, onBackendError?: 'throw') {
  const name = uniqueName('broken');
  const events: MemoirEvent[] = [];
  const logger = recordingLogger();
  let runs = 0;
  const options = {
    name,
    backend: brokenCore(name, withSync),
    onEvent: (event: MemoirEvent) => events.push(event),
    logger,
    onBackendError,
  };
  const asyncFn = cached(async (x: number) => {
    runs++;
    return x * 2;
  }, options);
  const syncFn = cached((x: number) => {
    runs++;
    return x * 2;
  }, { ...options, name: `${name}-sync` });
  return { asyncFn, syncFn, events, logger, runs: () => runs };
}

describe('a failing backend', () => {
  test('an async function still runs and returns; the outage is reported once', async () => {
    const { asyncFn, events, logger, runs } = setup(false);
    expect(await asyncFn(1)).toBe(2);
    expect(await asyncFn(2)).toBe(4);
    expect(await asyncFn(1)).toBe(2);
    expect(runs()).toBe(3);
    const reports = events.filter((e) => e.type === 'backend-error');
    expect(reports).toHaveLength(1);
    expect(reports[0].message).toMatch(/connection refused/);
    expect(logger.warns).toHaveLength(1);
    expect(logger.warns[0]).toMatch(/connection refused/);
  });

  test('a sync function on a failing sync core still returns its value synchronously', () => {
    const { syncFn, events, logger, runs } = setup(true);
    expect(syncFn(3)).toBe(6);
    expect(syncFn(3)).toBe(6);
    expect(runs()).toBe(2);
    expect(events.filter((e) => e.type === 'backend-error')).toHaveLength(1);
    expect(logger.warns).toHaveLength(1);
  });

  test("with onBackendError: 'throw' the call rejects with BACKEND_ERROR", async () => {
    const { asyncFn, runs } = setup(false, 'throw');
    await expect(asyncFn(1)).rejects.toMatchObject({
      name: 'MemoirError',
      code: 'BACKEND_ERROR',
      cause: expect.objectContaining({ message: 'connection refused' }),
    });
    expect(runs()).toBe(0);
  });

  test("with onBackendError: 'throw' a sync function on a sync core throws BACKEND_ERROR", () => {
    const { syncFn } = setup(true, 'throw');
    expect(() => syncFn(1)).toThrow(expect.objectContaining({ code: 'BACKEND_ERROR' }));
  });

  test('a listener that throws does not break the call', async () => {
    const name = uniqueName('bad-listener');
    const f = cached(async (x: number) => x, {
      name,
      backend: brokenCore(name, false),
      logger: recordingLogger(),
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    await expect(f(5)).resolves.toBe(5);
  });
});

/** A core that fails every operation while `down` is set, counting the operations it was asked for. */
function switchableCore(name: string) {
  const state = { down: true, operations: 0 };
  const store = createMemoryCore(`${name}-store`);
  const core = Object.fromEntries(
    MEMBERS.map((member) => [
      member,
      async (...args: unknown[]) => {
        state.operations++;
        if (state.down) throw new Error('connection refused');
        return (store[member] as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as unknown as StoreOperations<'async'>;
  return { core: { name, ...core } as Core, state };
}

describe('in-process single-flight while the backend is down', () => {
  test('50 concurrent callers of one key run the function once', async () => {
    const name = uniqueName('down-flight');
    const gate = deferred<void>();
    let runs = 0;
    const f = cached(
      async (x: number) => {
        runs++;
        await gate.promise;
        return x * 2;
      },
      { name, backend: brokenCore(name, false), logger: recordingLogger() },
    );
    const calls = Array.from({ length: 50 }, () => f(1));
    await settle();
    gate.resolve();
    expect(await Promise.all(calls)).toEqual(Array(50).fill(2));
    expect(runs).toBe(1);
  });
});

describe('the circuit breaker', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  test('after a failure calls skip the backend; one probe per retry interval finds it again', async () => {
    const name = uniqueName('breaker');
    const { core, state } = switchableCore(name);
    const events: MemoirEvent[] = [];
    let runs = 0;
    const f = cached(async (x: number) => x + ++runs * 0, {
      name,
      backend: core,
      logger: recordingLogger(),
      onEvent: (event) => events.push(event),
    });

    expect(await f(1)).toBe(1); // fails on get, runs uncached
    const afterFirst = state.operations;
    expect(afterFirst).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) expect(await f(1)).toBe(1);
    expect(state.operations).toBe(afterFirst); // the open breaker kept them off the backend
    expect(runs).toBe(11);

    await jest.advanceTimersByTimeAsync(BACKEND_RETRY_MS);
    expect(await f(1)).toBe(1); // the probe: still down
    expect(state.operations).toBe(afterFirst + 1);
    expect(await f(1)).toBe(1);
    expect(state.operations).toBe(afterFirst + 1);

    state.down = false;
    await jest.advanceTimersByTimeAsync(BACKEND_RETRY_MS);
    expect(await f(1)).toBe(1); // the probe succeeds and caches
    expect(await f(1)).toBe(1); // a hit now
    expect(f.stats()).toMatchObject({ hits: 1, backendErrors: 1 });
    expect(events.filter((event) => event.type === 'backend-error')).toHaveLength(1);
  });

  test("with onBackendError: 'throw' calls during the incident reject at once, without touching the backend", async () => {
    const name = uniqueName('breaker-throw');
    const { core, state } = switchableCore(name);
    const f = cached(async (x: number) => x, { name, backend: core, logger: recordingLogger(), onBackendError: 'throw' });
    await expect(f(1)).rejects.toMatchObject({ code: 'BACKEND_ERROR' });
    const operations = state.operations;
    await expect(f(1)).rejects.toMatchObject({ code: 'BACKEND_ERROR' });
    expect(state.operations).toBe(operations);
  });
});

describe('clearBeingCalculated, the recovery tool', () => {
  test('frees the callers of a hung in-process calculation: the next caller computes', async () => {
    let runs = 0;
    const f = cached(
      async (x: number) => {
        runs++;
        if (runs === 1) await new Promise(() => {}); // hangs forever
        return x;
      },
      { name: uniqueName('hung'), backend: 'memory' },
    );
    void f(1);
    await settle();
    expect(runs).toBe(1);
    await f.clearBeingCalculated();
    await expect(f(1)).resolves.toBe(1);
    expect(runs).toBe(2);
  });
});
