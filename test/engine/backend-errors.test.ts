import { cached } from '../../lib/cached';
import { resetGlobalParams } from '../../lib/config/global-params';
import type { Core, StoreOperations } from '../../lib/contract/core';
import type { MemoirEvent } from '../../lib/contract/events';
import { recordingLogger, uniqueName } from '../support/engine-helpers';

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
