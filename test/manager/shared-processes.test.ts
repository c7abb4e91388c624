import { CacheManager } from '../../lib';
import { DrivenProcess } from '../support/manager-driven';
import { makeTempDir } from '../support/manager-temp';

/**
 * Several real processes share one persistent manager cache (issue 12, item 8). Each child
 * (test/support/manager-driver.ts) loads the cache, changes it as told and never saves on a
 * schedule, so what reaches the disk is its explicit saves and its exit flush: a save must
 * merge with what the others saved, deletions and invalidations must stay done.
 */
const temps: Array<{ cleanup: () => void }> = [];
afterEach(() => DrivenProcess.killLeftovers());
afterAll(() => {
  for (const temp of temps) temp.cleanup();
});

function freshDir(): string {
  const temp = makeTempDir('memoir-shared-');
  temps.push(temp);
  return temp.dir;
}

/** What a process starting now would load. */
function onDisk(dir: string): Record<string, unknown> {
  const manager = new CacheManager('driver', { cacheDirectory: dir, autoSync: false });
  const cache = manager.registerCache<string, unknown>('shared');
  return Object.fromEntries([...cache].sort(([a], [b]) => (a < b ? -1 : 1)));
}

function expectClean(ending: { code: number | null; signal: string | null; stderr: string }) {
  expect(ending).toEqual({ code: 0, signal: null, stderr: '' });
}

/** What an earlier run left: seed0..seed<count-1> (written from this process). */
async function seed(dir: string, count: number): Promise<void> {
  const manager = new CacheManager('driver', { cacheDirectory: dir, autoSync: false });
  const cache = manager.registerCache<string, number>('shared');
  for (let i = 0; i < count; i++) cache.set(`seed${i}`, i);
  await cache.save();
}

it('four processes adding 100 keys each and exiting together keep all 400', async () => {
  const dir = freshDir();
  // All four load the (empty) cache before any of them saves: each one's view lacks the others'.
  const processes = await Promise.all([0, 1, 2, 3].map(() => DrivenProcess.start(dir)));
  await Promise.all(processes.map((p, i) => p.send({ op: 'fill', prefix: `p${i}-`, count: 100 })));
  const endings = await Promise.all(processes.map((p) => p.exit()));
  for (const ending of endings) expectClean(ending);

  const saved = onDisk(dir);
  expect(Object.keys(saved)).toHaveLength(400);
  for (let i = 0; i < 4; i++) expect(saved[`p${i}-99`]).toBe(99);
});

it("an invalidation stays invalidated when another process saves later", async () => {
  const dir = freshDir();
  await seed(dir, 50);
  const b = await DrivenProcess.start(dir);
  expect(Object.keys(b.loaded)).toHaveLength(50);

  const a = await DrivenProcess.start(dir);
  await a.send({ op: 'invalidate' });
  expectClean(await a.exit());

  // B still holds the 50 invalidated entries in memory; it changes one key and saves.
  await b.send({ op: 'set', key: 'after', value: 'b' });
  await b.send({ op: 'save' });
  // The save also brought B up to date: the invalidated entries left its memory.
  expect(await b.send({ op: 'dump' })).toEqual({ after: 'b' });
  await b.send({ op: 'set', key: 'later', value: 'b2' });
  expectClean(await b.exit());

  expect(onDisk(dir)).toEqual({ after: 'b', later: 'b2' });
});

it('a change made before another process invalidated is invalidated with it', async () => {
  const dir = freshDir();
  await seed(dir, 5);
  const b = await DrivenProcess.start(dir);
  await b.send({ op: 'set', key: 'before', value: 'stale' });
  const a = await DrivenProcess.start(dir);
  await a.send({ op: 'invalidate' });
  await a.send({ op: 'set', key: 'fresh', value: 'a' });
  expectClean(await a.exit());
  expectClean(await b.exit()); // B's exit flush saves 'before', stamped before the invalidation

  expect(onDisk(dir)).toEqual({ fresh: 'a' });
});

it("a deletion is not brought back by another process's save, nor a clear()", async () => {
  const dir = freshDir();
  await seed(dir, 4); // seed0..seed3
  const a = await DrivenProcess.start(dir);
  const b = await DrivenProcess.start(dir);
  const c = await DrivenProcess.start(dir);
  expect(await a.send({ op: 'delete', key: 'seed1' })).toEqual({ ok: true });
  expectClean(await a.exit());
  // B still holds seed1; it changes another key and exits.
  await b.send({ op: 'set', key: 'seed2', value: 'b' });
  expectClean(await b.exit());
  expect(onDisk(dir)).toEqual({ seed0: 0, seed2: 'b', seed3: 3 });

  // A local clear() in C empties what was saved before it; a later change elsewhere stays.
  await c.send({ op: 'clear' });
  const d = await DrivenProcess.start(dir);
  await d.send({ op: 'set', key: 'after-clear', value: 'd' });
  expectClean(await c.exit());
  expectClean(await d.exit());
  expect(onDisk(dir)).toEqual({ 'after-clear': 'd' });
});

it("a save brings the saver up to date with the others' saved changes", async () => {
  const dir = freshDir();
  const a = await DrivenProcess.start(dir);
  const b = await DrivenProcess.start(dir);
  await a.send({ op: 'set', key: 'from-a', value: 1 });
  await a.send({ op: 'save' });
  await b.send({ op: 'set', key: 'from-b', value: 2 });
  await b.send({ op: 'save' });
  expect(await b.send({ op: 'dump' })).toEqual({ 'from-a': 1, 'from-b': 2 });
  // A newer value of a key wins over an older one saved later.
  await a.send({ op: 'set', key: 'k', value: 'older' });
  await b.send({ op: 'set', key: 'k', value: 'newer' });
  await b.send({ op: 'save' });
  await a.send({ op: 'save' });
  expect(await a.send({ op: 'dump' })).toEqual({ 'from-a': 1, 'from-b': 2, k: 'newer' });
  expectClean(await a.exit());
  expectClean(await b.exit());
  expect(onDisk(dir)).toEqual({ 'from-a': 1, 'from-b': 2, k: 'newer' });
});
