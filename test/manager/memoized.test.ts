import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type CachedOptions, CacheManager, cached } from '../../lib';
import { openStandinFixture } from '../support/mongo-fixtures';

/**
 * Memoized functions are caches of the manager: invalidating a cache they depend on clears
 * their entries on every backend, they can be parents themselves, and a calculation that was
 * running when the invalidation happened answers its caller but does not store.
 */
let mongo: Awaited<ReturnType<typeof openStandinFixture>>;
let cacheDir: string;
let managers = 0;

beforeAll(async () => {
  mongo = await openStandinFixture();
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-manager-memoized-'));
});
afterAll(async () => {
  await mongo.close();
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

const backends: Array<[string, () => Partial<CachedOptions>]> = [
  ['memory', () => ({ backend: 'memory' })],
  ['file', () => ({ backend: 'file', cacheDir })],
  ['file (separate files)', () => ({ backend: 'file', cacheDir, separateFiles: true })],
  ['mongo (stand-in)', () => ({ backend: 'mongo', mongetter: () => mongo.collection })],
];

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe.each(backends)('memoized functions in the dependency graph: %s', (_label, backend) => {
  let manager: CacheManager;
  let prefix: string;

  beforeEach(() => {
    prefix = `mm${managers}`;
    manager = new CacheManager(`memoized-${process.pid}-${managers++}`, { cacheDirectory: cacheDir });
  });

  it("manager.invalidate('raw') clears the entries of a function that depends on raw", async () => {
    const raw = manager.registerCustomCache<string, number>('raw', { persistent: false });
    raw.set('x', 1);
    const body = jest.fn(async (n: number) => n * (raw.get('x') ?? 0));
    const report = cached(body, { ...backend(), name: `${prefix}-report`, dependsOn: ['raw'], manager });

    expect(await report(10)).toBe(10);
    expect(await report(10)).toBe(10);
    expect(body).toHaveBeenCalledTimes(1);

    raw.set('x', 5);
    await manager.invalidate('raw');
    expect(raw.size).toBe(0);
    expect(await report.isCached(10)).toBe(false);
    raw.set('x', 5);
    expect(await report(10)).toBe(50);
    expect(body).toHaveBeenCalledTimes(2);
  });

  it('a memoized function is itself a parent: invalidating it clears its dependents, transitively', async () => {
    const report = cached(async (n: number) => n + 1, { ...backend(), name: `${prefix}-parent`, manager });
    const summary = manager.registerCustomCache<string, number>('summary', { persistent: false });
    const digest = manager.registerCustomCache<string, number>('digest', { persistent: false });
    manager.registerDependentCache(`${prefix}-parent`, 'summary');
    manager.registerDependentCache('summary', 'digest');

    await report(1);
    summary.set('total', 2);
    digest.set('hash', 3);
    await manager.invalidate(`${prefix}-parent`);
    expect(await report.isCached(1)).toBe(false);
    expect(summary.size).toBe(0);
    expect(digest.size).toBe(0);
  });

  it('a calculation running during the invalidation answers its caller but does not store', async () => {
    manager.registerCustomCache('source', { persistent: false });
    const gate = deferred<void>();
    const started = deferred<void>();
    const body = jest.fn(async (n: number) => {
      started.resolve();
      await gate.promise;
      return n * 2;
    });
    const slow = cached(body, { ...backend(), name: `${prefix}-fenced`, dependsOn: ['source'], manager });

    const running = slow(21);
    await started.promise;
    await manager.invalidate('source');
    gate.resolve();
    expect(await running).toBe(42);
    expect(await slow.isCached(21)).toBe(false);
    expect(await slow(21)).toBe(42);
    expect(body).toHaveBeenCalledTimes(2);
    expect(await slow.isCached(21)).toBe(true);
  });
});
