/**
 * The four usage stories of a classic dependent cache manager, asserted. A "run" of a
 * program is modelled by a new CacheManager on the same directory (test/manager/exit.test.ts
 * covers real process boundaries).
 */
import { CacheManager } from '../../lib/manager/manager';
import { FakeClock } from '../support/manager-fake-clock';
import { listFiles, makeTempDir } from '../support/manager-temp';

const temp = makeTempDir();
afterAll(() => temp.cleanup());

function run(managerName: string, clock = new FakeClock()): CacheManager {
  return new CacheManager(managerName, { cacheDirectory: temp.dir, clock });
}

it('a simple persistent cache returns the saved value on the next run', async () => {
  const first = run('simple');
  const cache = first.registerCache<string, string>('my_simple_cache');
  expect(cache.get('my_key')).toBeUndefined();
  cache.set('my_key', 'my_value');
  await first.saveCacheContents('my_simple_cache');

  const second = run('simple').registerCache<string, string>('my_simple_cache');
  expect(second.get('my_key')).toBe('my_value');
});

it('a non-persistent cache never reaches the next run nor the disk', async () => {
  const first = run('volatile');
  const cache = first.registerCustomCache('my_simple_cache', { persistent: false });
  cache.set('my_key', 'my_value');
  await first.saveCacheContents('my_simple_cache'); // a no-op
  await first.flush();
  expect(run('volatile').registerCustomCache('my_simple_cache', { persistent: false }).size).toBe(
    0,
  );
  expect(listFiles(temp.dir).filter((f) => f.startsWith('volatile'))).toEqual([]);
});

it('custom saver and loader hooks receive the contents', () => {
  const clock = new FakeClock();
  const manager = run('hooks', clock);
  const received: [string, Record<string, unknown>][] = [];
  const saver = (name: string, contents: Map<string, string>) => {
    received.push([name, Object.fromEntries(contents)]);
  };
  const loader = () => ({ load: 'faked' });
  const cache = manager.registerCustomCache('my_cache', { saver, loader });
  cache.set('new', 'real');
  clock.advance(900_000); // the auto-sync schedule saves a single change within 900 s
  expect(received).toEqual([['my_cache', { load: 'faked', new: 'real' }]]);

  // The same hooks registered through the manager instead of the options.
  const viaManager = run('hooks-via-manager', clock);
  viaManager.registerSaver('my_cache', saver);
  viaManager.registerLoader('my_cache', loader);
  const other = viaManager.registerCache<string, string>('my_cache');
  other.set('other', 'value');
  clock.advance(900_000);
  expect(received[1]).toEqual(['my_cache', { load: 'faked', other: 'value' }]);
});

it('a dependent cache stays stale until its root is invalidated', async () => {
  const manager = run('dependent');
  const edge = manager.retrieveCache<string, number>('edge_cache');
  const root = manager.registerCache<string, number>('root_cache');
  manager.registerDependentCache('root_cache', 'edge_cache');

  const processedValue = () => {
    let processed = edge.get('processed');
    if (processed === undefined) {
      processed = (root.get('raw') ?? 0) * 5;
      edge.set('processed', processed);
    }
    return processed;
  };

  expect(processedValue()).toBe(0); // no raw value yet
  root.set('raw', 1);
  expect(processedValue()).toBe(0); // stale: the edge cached the old result

  const invalidated = root.invalidate();
  expect(edge.size).toBe(0); // cleared although only the root was invalidated
  expect(root.size).toBe(0);
  await invalidated;
  root.set('raw', 1);
  expect(processedValue()).toBe(5);
  expect(Object.fromEntries(edge)).toEqual({ processed: 5 });
  await manager.flush();
});
