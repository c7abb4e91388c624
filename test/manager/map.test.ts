import * as path from 'node:path';
import { defaultCacheDirectory } from '../../lib/util/cache-directory';
import { CacheManager, getCacheManager } from '../../lib/manager/manager';
import { listFiles, makeTempDir } from '../support/manager-temp';

const temp = makeTempDir();
afterAll(() => temp.cleanup());

let counter = 0;
function freshManager(): CacheManager {
  return new CacheManager(`map-${++counter}`, {
    cacheDirectory: temp.dir,
    onWarning: (warning) => {
      throw warning;
    },
  });
}

describe('Map-like caches', () => {
  it('behaves like a Map for string and number keys', () => {
    const cache = freshManager().registerCache<string | number, unknown>('things', {
      persistent: false,
    });
    expect(cache.size).toBe(0);
    expect(cache.get('missing')).toBeUndefined();
    expect(cache.set('a', 1)).toBe(cache);
    cache.set(2, { nested: [1, 2] });
    expect(cache.has('a')).toBe(true);
    expect(cache.has('2')).toBe(false); // a number key stays a number
    expect(cache.get(2)).toEqual({ nested: [1, 2] });
    expect(cache.size).toBe(2);
    expect([...cache.keys()]).toEqual(['a', 2]);
    expect([...cache.values()]).toEqual([1, { nested: [1, 2] }]);
    expect([...cache.entries()]).toEqual([
      ['a', 1],
      [2, { nested: [1, 2] }],
    ]);
    expect([...cache]).toEqual([...cache.entries()]);
    const seen: unknown[] = [];
    cache.forEach((value, key, self) => {
      seen.push([key, value, self === cache]);
    });
    expect(seen).toEqual([
      ['a', 1, true],
      [2, { nested: [1, 2] }, true],
    ]);
    expect(cache.delete('a')).toBe(true);
    expect(cache.delete('a')).toBe(false);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(Object.prototype.toString.call(cache)).toBe('[object ManagedCache]');
  });

  it('prints its contents like a Map', () => {
    const cache = freshManager().registerCache('printed', { persistent: false });
    cache.set('k', 'v');
    expect(require('node:util').inspect(cache)).toBe("Map(1) { 'k' => 'v' }");
  });

  it('a non-persistent cache never touches disk', async () => {
    const manager = freshManager();
    const cache = manager.registerCustomCache('volatile', { persistent: false });
    cache.set('a', 1);
    await cache.save();
    await manager.saveCacheContents('volatile');
    cache.load();
    expect(cache.get('a')).toBe(1);
    await cache.invalidate();
    await manager.deleteSavedCacheContents('volatile');
    await manager.flush();
    expect(cache.persistent).toBe(false);
    expect(cache.unsavedChanges).toBe(0);
    expect(listFiles(path.join(temp.dir, manager.name))).toEqual([]);
  });

  it('registering the same name with the same options returns the same cache', () => {
    const manager = freshManager();
    const saver = () => undefined;
    const first = manager.registerCache('same', {
      saver,
      autoSync: [{ changes: 1, within: '1s' }],
    });
    expect(manager.registerCache('same', { saver, autoSync: [{ changes: 1, within: 1000 }] })).toBe(
      first,
    );
    expect(manager.retrieveCache('same')).toBe(first);
  });

  it('retrieveCache creates a non-persistent cache for an unknown name and registers it', () => {
    const manager = freshManager();
    const created = manager.retrieveCache('lazy');
    expect(created.persistent).toBe(false);
    expect(manager.hasCache('lazy')).toBe(true);
    expect(manager.retrieveCache('lazy')).toBe(created);
  });

  it('lists Map-like and external caches', () => {
    const manager = freshManager();
    manager.registerCache('one', { persistent: false });
    manager.registerExternalCache('fn', { invalidate: () => undefined });
    expect(manager.cacheNames()).toEqual(['one', 'fn']);
    expect(manager.hasCache('fn')).toBe(true);
    expect(manager.hasCache('nope')).toBe(false);
  });

  it('a builder fills a non-persistent cache at registration', () => {
    const cache = freshManager().registerCache('built', {
      persistent: false,
      builder: () => ({ a: 1 }),
    });
    expect(cache.get('a')).toBe(1);
  });
});

describe('getCacheManager', () => {
  it('returns one manager per name, "default" when omitted', () => {
    expect(getCacheManager()).toBe(getCacheManager('default'));
    expect(getCacheManager().name).toBe('default');
    expect(getCacheManager('other')).toBe(getCacheManager('other'));
    expect(getCacheManager('other')).not.toBe(getCacheManager());
    expect(getCacheManager()).toBeInstanceOf(CacheManager);
  });

  it('cacheDirectory follows the environment until set explicitly', () => {
    const saved = process.env.MEMOIR_CACHE_DIR;
    try {
      process.env.MEMOIR_CACHE_DIR = temp.dir;
      const manager = new CacheManager('dir-test');
      expect(manager.cacheDirectory).toBe(temp.dir);
      manager.cacheDirectory = path.join(temp.dir, 'elsewhere');
      expect(manager.cacheDirectory).toBe(path.join(temp.dir, 'elsewhere'));
      expect(() => {
        manager.cacheDirectory = '';
      }).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    } finally {
      if (saved === undefined) delete process.env.MEMOIR_CACHE_DIR;
      else process.env.MEMOIR_CACHE_DIR = saved;
    }
  });
});

describe('defaultCacheDirectory', () => {
  it('prefers MEMOIR_CACHE_DIR, then an absolute XDG_CACHE_HOME, then ~/.cache', () => {
    expect(defaultCacheDirectory({ MEMOIR_CACHE_DIR: '/x/y', XDG_CACHE_HOME: '/xdg' })).toBe(
      '/x/y',
    );
    expect(defaultCacheDirectory({ MEMOIR_CACHE_DIR: '', XDG_CACHE_HOME: '/xdg' })).toBe(
      '/xdg/memoir',
    );
    const home = require('node:os').homedir();
    expect(defaultCacheDirectory({ XDG_CACHE_HOME: 'relative' })).toBe(
      path.join(home, '.cache', 'memoir'),
    );
    expect(defaultCacheDirectory({})).toBe(path.join(home, '.cache', 'memoir'));
  });
});
