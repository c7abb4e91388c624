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

describe.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s', (signal) => {
  // The file lock loads proper-lockfile, whose signal-exit listens to the same signals in the
  // same polite way; memoir must not wait for it (nor it for memoir) when both are there.
  it.each([
    ['signal-exit not loaded yet (the first save is the flush)', false],
    ['signal-exit already listening (an earlier save took the file lock)', true],
  ])('flushes, then the process dies of the signal as it would have without memoir: %s', async (_, savedBefore) => {
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

  it("flushes and leaves the process running when the program handles the signal itself", async () => {
    const cacheName = `own-handler-${signal}`;
    const driven = await DrivenProcess.start(temp.dir, cacheName);
    await driven.send({ op: 'own-handler', signal });
    await driven.send({ op: 'fill', prefix: 'k', count: 25 });
    driven.kill(signal);
    expect(await driven.next()).toEqual({ handled: signal });
    // Still alive and answering; memoir's listener ran in the same emit as the program's.
    expect(Object.keys(await driven.send({ op: 'dump' }))).toHaveLength(25);
    expect(onDisk(cacheName)).toBe(25);
    // Its later changes are flushed at its own, normal exit.
    await driven.send({ op: 'set', key: 'later', value: 1 });
    const ending = await driven.exit();
    expect({ code: ending.code, signal: ending.signal }).toEqual({ code: 0, signal: null });
    expect(onDisk(cacheName)).toBe(26);
  });
});

it('an uncaught error still flushes (and still ends the process with status 1)', async () => {
  const driven = await DrivenProcess.start(temp.dir, 'uncaught');
  await driven.send({ op: 'fill', prefix: 'k', count: 25 });
  const ending = await driven.exit('throw');
  expect(ending.code).toBe(1);
  expect(ending.stderr).toContain('uncaught on purpose');
  expect(onDisk('uncaught')).toBe(25);
});
