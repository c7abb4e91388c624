import { CacheManager } from '../../lib';
import { DrivenProcess } from '../support/manager-driven';
import { makeTempDir } from '../support/manager-temp';

/**
 * Unsaved changes survive the signals that end a process from outside (issue 12, item 10),
 * and memoir does not change how the process ends: killed by the signal when memoir's handler
 * is the only one, still running when the program handles the signal itself. Each child holds
 * 25 unsaved changes (no auto-sync) when it is signalled.
 */
const temp = makeTempDir('memoir-signals-');
afterEach(() => DrivenProcess.killLeftovers());
afterAll(() => temp.cleanup());

function onDisk(cacheName: string): number {
  const manager = new CacheManager('driver', { cacheDirectory: temp.dir, autoSync: false });
  return manager.registerCache(cacheName).size;
}

// The file lock loads proper-lockfile, whose signal-exit listens to the same signals in the
// same polite way (act only when alone); memoir must not wait for it, nor it for memoir.
// Each signal is tried with signal-exit already listening (an earlier save took the file
// lock); SIGINT also before it is loaded (the first save is the flush itself).
it.each([
  ['SIGINT', false],
  ['SIGINT', true],
  ['SIGTERM', true],
  ['SIGHUP', true],
] as const)('%s: flushes, then the process dies of the signal as it would have without memoir (signal-exit listening: %s)', async (signal, savedBefore) => {
  const cacheName = `only-memoir-${signal}-${savedBefore}`;
  const driven = await DrivenProcess.start(temp.dir, cacheName);
  if (savedBefore) {
    await driven.send({ op: 'set', key: 'early', value: 0 });
    await driven.send({ op: 'save' });
  }
  await driven.send({ op: 'fill', prefix: 'k', count: 25 });
  driven.kill(signal);
  const ending = await driven.ended;
  expect({ code: ending.code, signal: ending.signal }).toEqual({ code: null, signal });
  expect(onDisk(cacheName)).toBe(savedBefore ? 26 : 25);
});

it('flushes on each signal and leaves the process running when the program handles them itself', async () => {
  const cacheName = 'own-handlers';
  const driven = await DrivenProcess.start(temp.dir, cacheName);
  let expected = 0;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    await driven.send({ op: 'own-handler', signal });
    await driven.send({ op: 'fill', prefix: `${signal}-`, count: 25 });
    expected += 25;
    driven.kill(signal);
    expect(await driven.next()).toEqual({ handled: signal });
    // Still alive and answering; memoir's listener ran in the same emit as the program's.
    expect(Object.keys(await driven.send({ op: 'dump' }))).toHaveLength(expected);
    expect(onDisk(cacheName)).toBe(expected);
  }
  // Its later changes are flushed at its own, normal exit.
  await driven.send({ op: 'set', key: 'later', value: 1 });
  const ending = await driven.exit();
  expect({ code: ending.code, signal: ending.signal }).toEqual({ code: 0, signal: null });
  expect(onDisk(cacheName)).toBe(expected + 1);
});

it('an uncaught error still flushes (and still ends the process with status 1)', async () => {
  const driven = await DrivenProcess.start(temp.dir, 'uncaught');
  await driven.send({ op: 'fill', prefix: 'k', count: 25 });
  const ending = await driven.exit('throw');
  expect(ending.code).toBe(1);
  expect(ending.stderr).toContain('uncaught on purpose');
  expect(onDisk('uncaught')).toBe(25);
});
