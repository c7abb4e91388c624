import { CacheManager, type CacheOptions } from '../../lib/manager/manager';
import { FakeClock } from '../support/manager-fake-clock';

const SECOND = 1000;
let counter = 0;

/** A manager on a fake clock whose caches save through a counting saver (no disk). */
function setup(managerOptions: { autoSync?: CacheOptions['autoSync'] } = {}) {
  const clock = new FakeClock();
  const warnings: Error[] = [];
  const manager = new CacheManager(`autosync-${++counter}`, {
    clock,
    onWarning: (w) => warnings.push(w),
    ...managerOptions,
  });
  const saves: Map<unknown, unknown>[] = [];
  const saver = (_: string, contents: Map<unknown, unknown>) => {
    saves.push(contents);
  };
  const register = (options: CacheOptions = {}) =>
    manager.registerCache(`c${++counter}`, { loader: () => undefined, saver, ...options });
  return { clock, manager, saves, register, warnings };
}

function setMany(cache: { set(k: number, v: number): unknown }, count: number): void {
  for (let i = 0; i < count; i++) cache.set(i, i);
}

describe('auto-sync default thresholds', () => {
  it('a single change is saved 900 s after the last save, not before', () => {
    const { clock, register, saves } = setup();
    const cache = register();
    clock.advance(10 * SECOND);
    cache.set('a', 1);
    clock.advance(889 * SECOND);
    expect(saves).toHaveLength(0);
    clock.advance(1 * SECOND);
    expect(saves).toEqual([new Map([['a', 1]])]);
    expect(cache.unsavedChanges).toBe(0);
  });

  it('10 changes are saved at 300 s; 9 wait for 900 s', () => {
    const { clock, register, saves } = setup();
    const ten = register();
    const nine = register();
    setMany(ten, 10);
    setMany(nine, 9);
    clock.advance(300 * SECOND - 1);
    expect(saves).toHaveLength(0);
    clock.advance(1);
    expect(saves.map((s) => s.size)).toEqual([10]);
    clock.advance(600 * SECOND);
    expect(saves.map((s) => s.size)).toEqual([10, 9]);
  });

  it('10,000 changes are saved at 60 s', () => {
    const { clock, register, saves } = setup();
    const cache = register();
    setMany(cache, 10_000);
    clock.advance(60 * SECOND - 1);
    expect(saves).toHaveLength(0);
    clock.advance(1);
    expect(saves.map((s) => s.size)).toEqual([10_000]);
  });

  it('after a long idle period pending changes are saved without waiting a new window', () => {
    const { clock, register, saves } = setup();
    const cache = register();
    clock.advance(1000 * SECOND);
    cache.set('late', 1);
    clock.advance(0);
    expect(saves).toHaveLength(1);
  });

  it('the window restarts after each save and only unsaved changes count', () => {
    const { clock, register, saves } = setup();
    const cache = register();
    setMany(cache, 10);
    clock.advance(300 * SECOND);
    expect(saves).toHaveLength(1);
    cache.set('next', 1);
    clock.advance(899 * SECOND);
    expect(saves).toHaveLength(1);
    clock.advance(1 * SECOND);
    expect(saves).toHaveLength(2);
  });

  it('an explicit save resets the pending changes and cancels the timer', async () => {
    const { clock, register, saves } = setup();
    const cache = register();
    cache.set('a', 1);
    await cache.save();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(2000 * SECOND);
    expect(saves).toHaveLength(1);
  });
});

describe('configurable thresholds', () => {
  it('per cache', () => {
    const { clock, register, saves } = setup();
    const cache = register({ autoSync: [{ changes: 2, within: '5s' }] });
    cache.set('a', 1);
    clock.advance(10 * SECOND);
    expect(saves).toHaveLength(0);
    cache.set('b', 2);
    clock.advance(0);
    expect(saves).toHaveLength(1);
  });

  it('per manager, for caches without their own, including a change after registration', () => {
    const { clock, manager, register, saves } = setup({ autoSync: [{ changes: 1, within: 100 }] });
    const cache = register();
    cache.set('a', 1);
    clock.advance(100);
    expect(saves).toHaveLength(1);
    manager.autoSync = [{ changes: 1, within: '1h' }];
    expect(manager.autoSync).toEqual([{ changes: 1, within: '1h' }]);
    cache.set('b', 1);
    clock.advance(3_599_999);
    expect(saves).toHaveLength(1);
    clock.advance(1);
    expect(saves).toHaveLength(2);
  });

  it('autoSync: false saves only when asked', () => {
    const { clock, register, saves } = setup();
    const cache = register({ autoSync: false });
    setMany(cache, 20_000);
    clock.advance(10_000 * SECOND);
    expect(saves).toHaveLength(0);
    expect(cache.unsavedChanges).toBe(20_000);
    cache.clear();
  });

  it('invalid rules are INVALID_OPTION errors naming the field', () => {
    const { manager, register } = setup();
    expect(() => register({ autoSync: [{ changes: 0, within: '1s' }] })).toThrow(
      /autoSync\[0\]\.changes/,
    );
    expect(() => register({ autoSync: [{ changes: 1, within: 'soon' }] })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => {
      manager.autoSync = [{ changes: 1, within: 0 }];
    }).toThrow(/autoSync\[0\]\.within/);
    expect(() => {
      manager.autoSync = 'often' as never;
    }).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});

describe('a failing scheduled save', () => {
  it('is reported, keeps every change pending and retries a window later', () => {
    const { clock, manager, warnings } = setup();
    let fail = true;
    const saves: number[] = [];
    const cache = manager.registerCache('flaky', {
      loader: () => undefined,
      autoSync: [{ changes: 1, within: '1s' }],
      saver: (_, contents) => {
        if (fail) throw new Error('disk full');
        saves.push(contents.size);
      },
    });
    cache.set('a', 1);
    clock.advance(SECOND);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'HOOK_FAILED' });
    expect((warnings[0] as Error & { cause: Error }).cause.message).toBe('disk full');
    expect(cache.get('a')).toBe(1);
    expect(cache.unsavedChanges).toBe(1);
    fail = false;
    cache.set('b', 2);
    clock.advance(SECOND);
    expect(saves).toEqual([2]);
    expect(cache.unsavedChanges).toBe(0);
  });
});
