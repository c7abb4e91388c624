import { createMemoryCore } from '../../backends/memory';
import { cached } from '../../lib/cached';
import {
  disableCaching,
  enableCaching,
  getGlobalParams,
  resetGlobalParams,
  setGlobalParams,
} from '../../lib/config/global-params';
import { MemoirError } from '../../lib/errors';
import { defaultCacheDirectory } from '../../lib/util';
import { manualClock, uniqueName, until } from '../support/engine-helpers';

afterEach(() => resetGlobalParams());

function thrown(action: () => unknown): MemoirError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(MemoirError);
    return error as MemoirError;
  }
  throw new Error('expected a MemoirError');
}

describe('setGlobalParams / getGlobalParams', () => {
  test('getGlobalParams reflects set values and returns a copy, not the live object', () => {
    expect(getGlobalParams()).toMatchObject({ cachingEnabled: true, backend: 'file', nextTime: false });
    setGlobalParams({ staleAfter: '5m', nextTime: true });
    const params = getGlobalParams();
    expect(params).toMatchObject({ staleAfter: '5m', nextTime: true });

    (params as { nextTime: boolean }).nextTime = false;
    (params as { staleAfter?: string }).staleAfter = '1s';
    expect(getGlobalParams()).toMatchObject({ staleAfter: '5m', nextTime: true });

    setGlobalParams({ allowNone: true });
    expect(params.allowNone).toBe(false); // an earlier copy does not follow later changes
  });

  test('resetGlobalParams restores the defaults', () => {
    setGlobalParams({ backend: 'memory', staleAfter: 10 });
    resetGlobalParams();
    expect(getGlobalParams().backend).toBe('file');
    expect(getGlobalParams().staleAfter).toBeUndefined();
  });

  test('an unknown key is UNKNOWN_PARAM and changes nothing', () => {
    const error = thrown(() => setGlobalParams({ nextTime: true, staleAftr: '1m' } as never));
    expect(error.code).toBe('UNKNOWN_PARAM');
    expect(error.message).toContain('staleAftr');
    expect(getGlobalParams().nextTime).toBe(false);
    expect(thrown(() => setGlobalParams({ name: 'x' } as never)).code).toBe('UNKNOWN_PARAM');
  });

  test.each([
    ['staleAfter', 'soon'],
    ['waitForCalcTimeout', -5],
    ['lease', 0],
    ['cleanupInterval', 'daily'],
    ['entrySizeLimit', '10 potatoes'],
    ['backend', 'memcached'],
    ['redis', 'http://127.0.0.1:6379'],
    ['timeout', '0s'],
    ['nextTime', 'yes'],
    ['allowNone', 1],
    ['cachingEnabled', 'no'],
    ['onBackendError', 'ignore'],
    ['logger', {}],
    ['clock', 12],
    ['hashFunc', 'sha1'],
  ])('an invalid %s is INVALID_OPTION naming the option, and is not applied', (option, value) => {
    const before = getGlobalParams();
    const error = thrown(() => setGlobalParams({ [option]: value } as never));
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.message).toContain(`"${option}"`);
    expect(getGlobalParams()).toEqual(before);
  });

  test('a non-object is INVALID_OPTION', () => {
    expect(thrown(() => setGlobalParams(null as never)).code).toBe('INVALID_OPTION');
  });

  test('a global backend applies to functions created afterwards', () => {
    expect(cached((x: number) => x).cachePath()).toEqual(expect.any(String)); // 'file' by default
    setGlobalParams({ backend: 'memory' });
    let runs = 0;
    const f = cached((x: number) => x + ++runs);
    expect(f(1)).toBe(2);
    expect(f(1)).toBe(2);
    expect(f.cachePath()).toBeUndefined();
  });
});

describe('disableCaching / enableCaching', () => {
  function spiedFunction() {
    const name = uniqueName('toggle');
    const core = createMemoryCore(name);
    let runs = 0;
    const f = cached((x: number) => `${x}#${++runs}`, { name, backend: core });
    const spies = [
      jest.spyOn(core.sync!, 'get'),
      jest.spyOn(core.sync!, 'acquire'),
      jest.spyOn(core.sync!, 'write'),
      jest.spyOn(core, 'get'),
      jest.spyOn(core, 'acquire'),
      jest.spyOn(core, 'write'),
    ];
    const storageCalls = () => spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
    return { f, core, runs: () => runs, storageCalls };
  }

  test('while disabled every call runs the function, nothing is read or written, entries survive', () => {
    const { f, core, runs, storageCalls } = spiedFunction();
    expect(f(1)).toBe('1#1');
    const key = f.keyFor(1);

    disableCaching();
    expect(getGlobalParams().cachingEnabled).toBe(false);
    const before = storageCalls();
    expect(f(1)).toBe('1#2');
    expect(f(1)).toBe('1#3');
    expect(f(2)).toBe('2#4');
    expect(storageCalls()).toBe(before);
    expect(core.sync!.keys()).toEqual([key]);

    enableCaching();
    expect(f(1)).toBe('1#1'); // the entry stored before survived
    expect(f(2)).toBe('2#5');
    expect(f(2)).toBe('2#5');
    expect(runs()).toBe(5);
  });

  test('async functions follow the switch too', async () => {
    let runs = 0;
    const f = cached(async (x: number) => `${x}#${++runs}`, { name: uniqueName('toggle-async'), backend: 'memory' });
    expect(await f(1)).toBe('1#1');
    disableCaching();
    expect(await f(1)).toBe('1#2');
    enableCaching();
    expect(await f(1)).toBe('1#1');
  });

  test('functions created while caching is disabled start caching when it is enabled', () => {
    disableCaching();
    let runs = 0;
    const f = cached((x: number) => `${x}#${++runs}`, { name: uniqueName('born-disabled'), backend: 'memory' });
    expect(f(1)).toBe('1#1');
    expect(f(1)).toBe('1#2');
    enableCaching();
    expect(f(1)).toBe('1#3');
    expect(f(1)).toBe('1#3');
    disableCaching();
    expect(f(1)).toBe('1#4');
  });
});

describe('globals read per call', () => {
  test('a global staleAfter set after a function was created applies from its next call', () => {
    const clock = manualClock();
    let runs = 0;
    const f = cached((x: number) => `${x}#${++runs}`, { name: uniqueName('late-stale'), backend: 'memory', clock: clock.now });
    const own = cached((x: number) => `${x}#${++runs}`, {
      name: uniqueName('own-stale'),
      backend: 'memory',
      clock: clock.now,
      staleAfter: '1d',
    });
    expect(f(1)).toBe('1#1');
    expect(own(1)).toBe('1#2');
    clock.advance(60 * 60_000);
    expect(f(1)).toBe('1#1'); // no staleAfter anywhere yet: never stale

    setGlobalParams({ staleAfter: '1m' });
    expect(f(1)).toBe('1#3');
    expect(own(1)).toBe('1#2'); // the function's own option wins over the global one

    resetGlobalParams();
    clock.advance(60 * 60_000);
    expect(f(1)).toBe('1#3');
  });

  test('a global allowNone and nextTime apply to existing functions from their next call', async () => {
    const clock = manualClock();
    let runs = 0;
    const f = cached(() => (++runs === 1 ? null : runs), { name: uniqueName('late-flags'), backend: 'memory', clock: clock.now });
    expect(f()).toBeNull();
    expect(f()).toBe(2); // a cached null is recomputed without allowNone

    const g = cached(() => (++runs === 3 ? null : runs), { name: uniqueName('late-none'), backend: 'memory', clock: clock.now });
    expect(g()).toBeNull();
    setGlobalParams({ allowNone: true });
    expect(g()).toBeNull(); // now the cached null is an answer
    expect(runs).toBe(3);

    setGlobalParams({ staleAfter: 10, nextTime: true });
    clock.advance(11);
    expect(f()).toBe(2); // stale value served at once, refreshed in the background
    await until(() => runs === 4);
  });
});

describe('getGlobalParams, effective values', () => {
  afterEach(() => resetGlobalParams());

  test('lists every known parameter, unset ones with what applies', () => {
    const params = getGlobalParams() as unknown as Record<string, unknown>;
    for (const key of ['staleAfter', 'hashFunc', 'cacheDir', 'mongetter', 'entrySizeLimit', 'copy', 'onEvent', 'logger', 'clock']) {
      expect(Object.keys(params)).toContain(key);
    }
    expect(params.staleAfter).toBeUndefined();
    expect(params.cacheDir).toBe(defaultCacheDirectory());
    expect(params.clock).toBe(Date.now);
    expect(typeof (params.logger as { warn?: unknown }).warn).toBe('function');
  });

  test('shows a value once it is set', () => {
    setGlobalParams({ staleAfter: '5m', cacheDir: '/tmp/elsewhere' });
    expect(getGlobalParams()).toMatchObject({ staleAfter: '5m', cacheDir: '/tmp/elsewhere' });
  });
});
