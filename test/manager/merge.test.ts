import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { CacheManager } from '../../lib';
import { FakeClock } from '../support/manager-fake-clock';
import { makeTempDir } from '../support/manager-temp';

/**
 * The merge rules of shared persistent caches, in one process: two managers on one directory
 * stand for two processes (each has its own view, its own stamps and its own memory of the
 * file). The cross-process behaviour itself is tested with real processes in
 * shared-processes.test.ts.
 */
const temp = makeTempDir('memoir-merge-');
afterAll(() => temp.cleanup());

let counter = 0;
function processes(clocks: FakeClock[] = [new FakeClock(), new FakeClock()]) {
  const name = `merge-${++counter}`;
  return clocks.map(
    (clock) => new CacheManager(name, { cacheDirectory: temp.dir, autoSync: false, clock }),
  );
}

it('stamps follow what a process has seen: a slow clock cannot put a new change before an invalidation it read', async () => {
  const ahead = new FakeClock();
  ahead.advance(3_600_000); // an hour ahead of the other process
  const [fast, slow] = processes([ahead, new FakeClock()]);
  const fastCache = fast.registerCache<string, number>('c');
  fastCache.set('old', 1);
  await fastCache.save();
  await fastCache.invalidate();

  const slowCache = slow.registerCache<string, number>('c'); // reads the invalidation
  slowCache.set('new', 2); // by its own clock an hour before the invalidation
  await slowCache.save();
  const reader = new CacheManager(fast.name, { cacheDirectory: temp.dir, autoSync: false });
  expect(Object.fromEntries(reader.registerCache('c'))).toEqual({ new: 2 });
});

it('a file deleted under a process (deleteSavedCacheContents) gets its contents back at its next save', async () => {
  const [a, b] = processes();
  const cache = a.registerCache<string, number>('c');
  cache.set('x', 1).set('y', 2);
  await cache.save();
  await b.deleteSavedCacheContents('c');
  expect(fs.existsSync(path.join(temp.dir, a.name, 'c'))).toBe(false);
  cache.set('z', 3);
  await cache.save();
  const reader = new CacheManager(a.name, { cacheDirectory: temp.dir });
  expect(Object.fromEntries(reader.registerCache('c'))).toEqual({ x: 1, y: 2, z: 3 });
});

it('reads files of the previous format, and replaces them with the current one at the next save', async () => {
  const [a] = processes();
  const file = path.join(temp.dir, a.name, 'old');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const entries = new Map<string | number, unknown>([['kept', { deep: [1] }], [7, 'seven']]);
  fs.writeFileSync(file, v8.serialize({ format: 'memoir-managed-cache', version: 1, entries }));
  const cache = a.registerCache<string | number, unknown>('old');
  expect(cache.get('kept')).toEqual({ deep: [1] });
  expect(cache.get(7)).toBe('seven');
  cache.set('added', true);
  await cache.save();
  expect(fs.readFileSync(file).subarray(0, 8).toString('latin1')).toBe('MEMOIRMC');
  const reader = new CacheManager(a.name, { cacheDirectory: temp.dir });
  expect(Object.fromEntries(reader.registerCache('old'))).toEqual({ kept: { deep: [1] }, 7: 'seven', added: true });
});

it('saves that alternate between processes each merge the other\'s latest save', async () => {
  const [a, b] = processes();
  const first = a.registerCache<string, number>('c');
  const second = b.registerCache<string, number>('c');
  for (let round = 0; round < 5; round++) {
    first.set(`a${round}`, round);
    await first.save(); // round 0: its own file since loading; later: B saved in between
    await first.save(); // nothing changed meanwhile: the file is still the one it wrote
    second.set(`b${round}`, round);
    await second.save();
  }
  const expected = Object.fromEntries(
    [0, 1, 2, 3, 4].flatMap((round) => [
      [`a${round}`, round],
      [`b${round}`, round],
    ]),
  );
  expect(Object.fromEntries(second)).toEqual(expected);
  await first.save();
  expect(Object.fromEntries(first)).toEqual(expected);
});

it('keeps tombstones after the last clear, up to max(1,000, entries), the oldest dropped first', async () => {
  const clockA = new FakeClock();
  const clockB = new FakeClock();
  const [a, b] = processes([clockA, clockB]);
  const first = a.registerCache<string, string>('c');
  for (let i = 0; i < 1_500; i++) first.set(`k${i}`, 'a');
  await first.save();
  const second = b.registerCache<string, string>('c');
  clockB.advance(1_000_000);
  second.set('k0', 'b').set('k1499', 'b'); // not saved yet
  clockA.advance(2_000_000);
  for (let i = 0; i < 1_500; i++) first.delete(`k${i}`); // later than B's changes, saved first
  await first.save();
  await second.save();
  // k1499's tombstone is among the newest 1,000 and wins over B's older change; k0's was
  // dropped (the documented bound), so B's older change lands on a key with no history.
  const reader = new CacheManager(a.name, { cacheDirectory: temp.dir });
  expect(Object.fromEntries(reader.registerCache('c'))).toEqual({ k0: 'b' });
  expect(Object.fromEntries(second)).toEqual({ k0: 'b' });
});
