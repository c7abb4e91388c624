import { createMemoryCore } from '../../backends/memory';
import { cached } from '../../lib/cached';
import { type Core, type Entry, WOULD_WAIT } from '../../lib/contract/core';
import { BACKEND_RETRY_MS } from '../../lib/engine/circuit-breaker';
import { recordingLogger, uniqueName } from '../support/engine-helpers';

/**
 * The hit path of async functions outside the flow: a core's synchronous `peek` (SQLite) and
 * the single `get` of every other async core. A core over a memory store that counts what the
 * engine asks of it, and can be told to be down or to make peek wait.
 */
const MEMBERS = ['get', 'acquire', 'renew', 'release', 'write', 'delete', 'clear', 'clearBeingCalculated', 'deleteStale', 'keys'] as const;

function countingCore(name: string, withPeek: boolean) {
  const state = { down: false, peekWaits: false, peeks: 0, gets: 0 };
  const store = createMemoryCore(`${name}-store`);
  const ops = Object.fromEntries(
    MEMBERS.map((member) => [
      member,
      async (...args: unknown[]) => {
        if (member === 'get') state.gets++;
        if (state.down) throw new Error('connection refused');
        return (store[member] as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  );
  const core = { name, ...ops } as unknown as Core;
  if (withPeek) {
    core.peek = (key: string): Entry | undefined | typeof WOULD_WAIT => {
      state.peeks++;
      return state.down || state.peekWaits ? WOULD_WAIT : store.sync!.get(key);
    };
  }
  return { core, state };
}

function memoized(withPeek: boolean) {
  const name = uniqueName('peek');
  const { core, state } = countingCore(name, withPeek);
  let runs = 0;
  const f = cached(
    async (x: number) => {
      runs++;
      return { x };
    },
    { name, backend: core, logger: recordingLogger() },
  );
  return { f, state, runs: () => runs };
}

describe('the hit path of async functions', () => {
  test('a core that can peek answers hits by peek alone: no get, no flow', async () => {
    const { f, state, runs } = memoized(true);
    expect(await f(1)).toEqual({ x: 1 }); // a miss: peek finds nothing, the flow computes
    const getsAfterMiss = state.gets;
    for (let i = 0; i < 5; i++) expect(await f(1)).toEqual({ x: 1 });
    expect(state.gets).toBe(getsAfterMiss);
    expect(state.peeks).toBe(6);
    expect(runs()).toBe(1);
    expect(f.stats()).toMatchObject({ hits: 5, misses: 1 });
  });

  test('a peek that would wait hands the call to get, which answers it', async () => {
    const { f, state, runs } = memoized(true);
    await f(1);
    state.peekWaits = true;
    const gets = state.gets;
    expect(await f(1)).toEqual({ x: 1 });
    expect(state.gets).toBe(gets + 1);
    expect(runs()).toBe(1);
    expect(f.stats()).toMatchObject({ hits: 1 });
  });

  test('a failed lookup is met once: the call runs uncached without reading again', async () => {
    for (const withPeek of [false, true]) {
      const { f, state, runs } = memoized(withPeek);
      state.down = true;
      expect(await f(1)).toEqual({ x: 1 });
      expect(state.gets).toBe(1);
      expect(runs()).toBe(1);
      expect(f.stats()).toMatchObject({ backendErrors: 1 });
    }
  });
});

describe('the circuit breaker and peek', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  test('a probe answered by peek ends the incident: later calls use the backend again', async () => {
    const { f, state, runs } = memoized(true);
    await f(1); // stored
    state.down = true;
    await f(2); // the lookup fails: the breaker opens
    expect(runs()).toBe(2);
    state.down = false;
    await jest.advanceTimersByTimeAsync(BACKEND_RETRY_MS);
    expect(await f(1)).toEqual({ x: 1 }); // the probe, a hit by peek
    const peeks = state.peeks;
    expect(await f(2)).toEqual({ x: 2 }); // computed and stored through the backend
    expect(await f(2)).toEqual({ x: 2 }); // and a hit
    expect(state.peeks).toBe(peeks + 2);
    expect(runs()).toBe(3);
  });
});
