import { cached } from '../../lib';
import { tempDirs } from '../support/file-temp-dirs';
import { uniqueName } from '../support/engine-helpers';

/**
 * On cores with sync operations (memory, file) the management methods do their work before
 * they return: an un-awaited call followed by a call of the function already sees its effect.
 */
const dirs = tempDirs();
afterAll(() => dirs.removeAll());

describe.each([
  ['file', () => ({ backend: 'file' as const, cacheDir: dirs.make() })],
  ['file (separate files)', () => ({ backend: 'file' as const, cacheDir: dirs.make(), separateFiles: true })],
  ['memory', () => ({ backend: 'memory' as const })],
])('management methods on %s take effect before they return', (_label, backend) => {
  function area() {
    let runs = 0;
    const f = cached((w: number, h: number) => {
      runs++;
      return w * h + runs * 0.5;
    }, { name: uniqueName('area'), ...backend() });
    return { f, runs: () => runs };
  }

  test('clearCache', () => {
    const { f, runs } = area();
    f(2, 3);
    void f.clearCache();
    expect(f(2, 3)).toBe(7);
    expect(runs()).toBe(2);
  });

  test('invalidate', () => {
    const { f, runs } = area();
    f(2, 3);
    f(4, 5);
    void f.invalidate(2, 3);
    expect(f(2, 3)).toBe(7.5);
    expect(f(4, 5)).toBe(21);
    expect(runs()).toBe(3);
  });

  test('precacheValue', () => {
    const { f, runs } = area();
    void f.precacheValue([2, 3], 42);
    expect(f(2, 3)).toBe(42);
    expect(runs()).toBe(0);
  });

  test('their promises are settled already (clearBeingCalculated too)', async () => {
    const { f } = area();
    const settled: string[] = [];
    void f.precacheValue([1, 1], 1).then(() => settled.push('precacheValue'));
    void f.invalidate(1, 1).then(() => settled.push('invalidate'));
    void f.clearBeingCalculated().then(() => settled.push('clearBeingCalculated'));
    void f.clearCache().then(() => settled.push('clearCache'));
    await Promise.resolve();
    await Promise.resolve();
    expect(settled.sort()).toEqual(['clearBeingCalculated', 'clearCache', 'invalidate', 'precacheValue']);
  });
});
