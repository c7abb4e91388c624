import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { CacheManager } from '../../lib/manager/manager';
import { FakeClock } from '../support/manager-fake-clock';
import { makeTempDir } from '../support/manager-temp';

const temp = makeTempDir();
const managers: CacheManager[] = [];
const warnings: Error[] = [];
afterEach(async () => {
  await Promise.allSettled(managers.map((m) => m.flush()));
  warnings.length = 0;
});
afterAll(() => temp.cleanup());

let counter = 0;
/** Two managers made with the same name share the directory: like two runs of a program. */
function managerNamed(name = `persist-${++counter}`): CacheManager {
  const manager = new CacheManager(name, {
    cacheDirectory: temp.dir,
    clock: new FakeClock(),
    onWarning: (warning) => warnings.push(warning),
  });
  managers.push(manager);
  return manager;
}

describe('default persistence', () => {
  it('saves under <cacheDirectory>/<managerName>/<cacheName> and loads on registration', async () => {
    const first = managerNamed();
    const cache = first.registerCache('numbers');
    const value = { when: new Date(0), tags: new Set(['x']), big: 10n, map: new Map([[1, 'one']]) };
    cache.set('complex', value).set(7, 'seven');
    await cache.save();
    const file = path.join(temp.dir, first.name, 'numbers');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);

    const second = managerNamed(first.name).registerCache('numbers');
    expect(second.get('complex')).toEqual(value);
    expect(second.get(7)).toBe('seven');
    expect(second.has('7')).toBe(false);
  });

  it('saveCacheContents, loadCacheContents and deleteSavedCacheContents', async () => {
    const manager = managerNamed();
    const cache = manager.registerCache('c');
    cache.set('a', 1);
    await manager.saveCacheContents('c');
    cache.set('a', 2);
    manager.loadCacheContents('c');
    expect(cache.get('a')).toBe(1); // load replaces memory with what is saved
    expect(cache.unsavedChanges).toBe(0);
    await manager.deleteSavedCacheContents('c');
    expect(cache.get('a')).toBe(1); // memory untouched
    expect(fs.existsSync(path.join(temp.dir, manager.name, 'c'))).toBe(false);
    // and for a name not registered in this process
    const other = managerNamed(manager.name).registerCache('d');
    other.set('x', 1);
    await other.save();
    await managerNamed(manager.name).deleteSavedCacheContents('d');
    expect(fs.existsSync(path.join(temp.dir, manager.name, 'd'))).toBe(false);
  });

  it('invalidate clears memory and the saved contents', async () => {
    const manager = managerNamed();
    const cache = manager.registerCache('gone');
    cache.set('a', 1);
    await cache.save();
    const pending = cache.invalidate();
    expect(cache.size).toBe(0); // synchronously
    await pending;
    // The file stays, holding only the stamped clear (other processes' saves respect it).
    expect(fs.existsSync(path.join(temp.dir, manager.name, 'gone'))).toBe(true);
    expect(managerNamed(manager.name).registerCache('gone').size).toBe(0);
  });

  it.each([
    ['garbage bytes', Buffer.from('definitely not v8')],
    ['a foreign v8 value', v8.serialize({ hello: 'world' })],
    [
      'an unknown version',
      v8.serialize({ format: 'memoir-managed-cache', version: 99, entries: new Map() }),
    ],
  ])('a saved file holding %s is reported once and the cache starts empty', async (_, bytes) => {
    const manager = managerNamed();
    fs.mkdirSync(path.join(temp.dir, manager.name), { recursive: true });
    const file = path.join(temp.dir, manager.name, 'broken');
    fs.writeFileSync(file, bytes);
    const cache = manager.registerCache('broken');
    expect(cache.size).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'CORRUPT_ENTRY' });
    expect(warnings[0].message).toContain(file);
    cache.set('fresh', 1);
    await cache.save(); // the next save replaces the bad file
    expect(managerNamed(manager.name).registerCache('broken').get('fresh')).toBe(1);
  });

  it('an unserializable value is refused at set with SERIALIZATION_FAILED', () => {
    const cache = managerNamed().registerCache('fn');
    expect(() => cache.set('f', () => 1)).toThrow(expect.objectContaining({ code: 'SERIALIZATION_FAILED' }));
    expect(cache.has('f')).toBe(false);
    expect(cache.unsavedChanges).toBe(0);
  });
});

describe('hooks', () => {
  it('a saver receives a snapshot of the contents; a loader provides them', async () => {
    const manager = managerNamed();
    const saves: [string, Map<unknown, unknown>][] = [];
    const cache = manager.registerCustomCache('hooked', {
      loader: () => ({ load: 'faked' }),
      saver: (name, contents) => {
        saves.push([name, contents]);
      },
    });
    expect([...cache]).toEqual([['load', 'faked']]);
    cache.set('new', 'real');
    await cache.save();
    cache.set('later', 'x');
    expect(saves).toEqual([
      [
        'hooked',
        new Map([
          ['load', 'faked'],
          ['new', 'real'],
        ]),
      ],
    ]);
    expect(fs.existsSync(path.join(temp.dir, manager.name))).toBe(false);
    cache.delete('later');
  });

  it('what a saver returns is ignored: a saver written as `store.set(...)` saves, sync or async', async () => {
    const manager = managerNamed();
    const store = new Map<string, Map<unknown, unknown>>();
    const sync = manager.registerCustomCache('returns-map', {
      saver: (name, contents) => store.set(name, contents),
    });
    const async = manager.registerCustomCache('returns-promise-of-map', {
      saver: async (name, contents) => store.set(name, contents),
    });
    for (const cache of [sync, async]) {
      cache.set('k', 1);
      await expect(cache.save()).resolves.toBeUndefined();
      expect(cache.unsavedChanges).toBe(0);
      expect([...cache]).toEqual([['k', 1]]);
    }
    expect([...store.keys()]).toEqual(['returns-map', 'returns-promise-of-map']);
    expect(warnings).toEqual([]);
  });

  it('hooks registered on the manager before the cache are used at registration', () => {
    const manager = managerNamed();
    manager.registerLoader('early', () => new Map([[1, 'from loader']]));
    expect(manager.registerCache('early').get(1)).toBe('from loader');
  });

  it('hooks registered after the cache are used from the next save or load', async () => {
    const manager = managerNamed();
    const cache = manager.registerCache('late');
    cache.set('a', 1);
    const saver = jest.fn();
    manager.registerSaver('late', saver);
    manager.registerLoader('late', () => ({ b: 2 }));
    await cache.save();
    expect(saver).toHaveBeenCalledWith('late', new Map([['a', 1]]));
    cache.load();
    expect([...cache]).toEqual([['b', 2]]);
  });

  it('a validator rejecting loaded contents hands over to the builder', () => {
    const manager = managerNamed();
    const validator = jest.fn((_name: string, contents: Map<string, number>) => contents.has('ok'));
    const cache = manager.registerCache<string, number>('validated', {
      loader: () => ({ stale: 1 }),
      validator,
      builder: () => new Map([['ok', 2]]),
      saver: () => undefined,
    });
    expect(validator).toHaveBeenCalledWith('validated', new Map([['stale', 1]]));
    expect([...cache]).toEqual([['ok', 2]]);
    expect(cache.unsavedChanges).toBe(1); // built contents are saved like any change
  });

  it('a validator rejecting with no builder starts the cache empty', () => {
    const cache = managerNamed().registerCache('rejected', {
      loader: () => ({ a: 1 }),
      validator: () => false,
    });
    expect(cache.size).toBe(0);
  });

  it('a builder fills a cache that has nothing saved, and the result is persisted', async () => {
    const manager = managerNamed();
    const builder = jest.fn(() => ({ built: true }));
    const cache = manager.registerCache('from-builder', { builder });
    expect(cache.get('built')).toBe(true);
    await manager.flush();
    const again = managerNamed(manager.name).registerCache('from-builder', { builder });
    expect(again.get('built')).toBe(true);
    expect(builder).toHaveBeenCalledTimes(1);
  });

  it('a deleter is called on invalidation and may be async', async () => {
    const manager = managerNamed();
    const deleted: string[] = [];
    const cache = manager.registerCache('del', {
      saver: () => undefined,
      deleter: async (name) => {
        await Promise.resolve();
        deleted.push(name);
      },
    });
    cache.set('a', 1);
    await cache.invalidate();
    expect(deleted).toEqual(['del']);
    expect(cache.unsavedChanges).toBe(0);
  });

  it('an async save in flight finishes before an invalidation deletes', async () => {
    const manager = managerNamed();
    const log: string[] = [];
    let release!: () => void;
    const cache = manager.registerCache('ordered', {
      saver: () =>
        new Promise<void>((resolve) => {
          log.push('save started');
          release = () => {
            log.push('save finished');
            resolve();
          };
        }),
      deleter: () => {
        log.push('delete');
      },
    });
    cache.set('a', 1);
    const saving = cache.save();
    const invalidating = cache.invalidate();
    expect(cache.size).toBe(0);
    release();
    await Promise.all([saving, invalidating]);
    expect(log).toEqual(['save started', 'save finished', 'delete']);
    expect(cache.unsavedChanges).toBe(0); // the old save does not resurrect pending counts
  });
});
