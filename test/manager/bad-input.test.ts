import { cached } from '../../lib/cached';
import { CacheManager, getCacheManager } from '../../lib/manager/manager';
import { FakeClock } from '../support/manager-fake-clock';
import { makeTempDir } from '../support/manager-temp';

const temp = makeTempDir();
afterAll(() => temp.cleanup());

let counter = 0;
function manager(): CacheManager {
  return new CacheManager(`bad-${++counter}`, {
    cacheDirectory: temp.dir,
    clock: new FakeClock(),
    onWarning: () => undefined,
  });
}
const code = (c: string) => expect.objectContaining({ name: 'MemoirError', code: c });

describe('invalid names', () => {
  const bad = ['', 'a/b', 'a\\b', 'nul\0byte', '.', '..'];

  it.each(bad)('cache name %j is INVALID_NAME everywhere a name is taken', (name) => {
    const m = manager();
    expect(() => m.registerCache(name)).toThrow(code('INVALID_NAME'));
    expect(() => m.retrieveCache(name)).toThrow(code('INVALID_NAME'));
    expect(() => m.registerSaver(name, () => undefined)).toThrow(code('INVALID_NAME'));
    expect(m.cacheNames()).toEqual([]);
  });

  it.each(['', 'nul\0byte'])('function cache name %j is INVALID_NAME in dependency edges and registrations', (name) => {
    const m = manager();
    expect(() => m.registerDependentCache('ok', name)).toThrow(code('INVALID_NAME'));
    expect(() => m.registerExternalCache(name, { invalidate: () => undefined })).toThrow(code('INVALID_NAME'));
  });

  it('memoized functions may be named like modules (no path of the manager is made from them)', () => {
    const m = manager();
    m.registerExternalCache('my-app/src/users.ts:load', { invalidate: () => undefined });
    m.registerDependentCache('raw', 'my-app/src/users.ts:load');
    expect(m.cacheNames()).toContain('my-app/src/users.ts:load');
  });

  it.each(bad)('manager name %j is INVALID_NAME', (name) => {
    expect(() => getCacheManager(name)).toThrow(code('INVALID_NAME'));
    expect(() => new CacheManager(name)).toThrow(code('INVALID_NAME'));
  });

  it('a non-string name is INVALID_NAME', () => {
    expect(() => manager().registerCache(42 as never)).toThrow(code('INVALID_NAME'));
  });
});

describe('conflicting registration', () => {
  it('persistent vs non-persistent under one name', () => {
    const m = manager();
    const first = m.registerCache('x', { persistent: false });
    expect(() => m.registerCache('x')).toThrow(code('CONFLICTING_REGISTRATION'));
    expect(() => m.registerCache('x')).toThrow(/persistent/);
    expect(m.retrieveCache('x')).toBe(first);
  });

  it('different hooks or schedules under one name', () => {
    const m = manager();
    m.registerCache('y', { saver: () => undefined, loader: () => undefined });
    expect(() => m.registerCache('y', { saver: () => undefined })).toThrow(/saver, loader/);
    const z = m.registerCache('z', { autoSync: [{ changes: 1, within: '1s' }] });
    expect(() => m.registerCache('z', { autoSync: false })).toThrow(/autoSync/);
    expect(m.registerCache('z', { autoSync: [{ changes: 1, within: '1000ms' }] })).toBe(z);
  });

  it('a Map-like cache and a memoized function cannot share a name', () => {
    const m = manager();
    m.registerCache('map', { persistent: false });
    m.registerExternalCache('fn', { invalidate: () => undefined });
    expect(() => m.registerExternalCache('map', { invalidate: () => undefined })).toThrow(
      code('CONFLICTING_REGISTRATION'),
    );
    expect(() => m.registerCache('fn')).toThrow(code('CONFLICTING_REGISTRATION'));
    expect(() => m.retrieveCache('fn')).toThrow(code('NOT_SUPPORTED'));
    expect(() => m.loadCacheContents('fn')).toThrow(code('NOT_SUPPORTED'));
  });

  it('hooks for a non-persistent cache are refused (they would never run)', () => {
    const m = manager();
    expect(() => m.registerCache('np', { persistent: false, saver: () => undefined })).toThrow(
      code('INVALID_OPTION'),
    );
    m.registerCache('np2', { persistent: false });
    expect(() => m.registerLoader('np2', () => undefined)).toThrow(
      code('CONFLICTING_REGISTRATION'),
    );
    expect(() => m.registerBuilder('np2', () => ({}))).not.toThrow();
  });

  it('non-function hooks and a non-boolean persistent are INVALID_OPTION', () => {
    const m = manager();
    expect(() => m.registerCache('h', { saver: 'save' as never })).toThrow(/"saver"/);
    expect(() => m.registerCache('h', { persistent: 'yes' as never })).toThrow(/"persistent"/);
    expect(() => m.registerValidator('h', null as never)).toThrow(code('INVALID_OPTION'));
    expect(() => m.registerExternalCache('e', {} as never)).toThrow(code('INVALID_OPTION'));
  });

  it("a memoized function's `manager` that is not a CacheManager is INVALID_OPTION at decoration", () => {
    for (const bad of ['x', {}, 5, null]) {
      expect(() => cached((n: number) => n, { backend: 'memory', manager: bad as never })).toThrow(code('INVALID_OPTION'));
      expect(() => cached({ backend: 'memory', manager: bad as never })).toThrow(/"manager"/);
    }
    const m = manager();
    const f = cached((n: number) => n + 1, { backend: 'memory', manager: m, name: 'managed' });
    expect(f(1)).toBe(2);
    expect(m.hasCache('managed')).toBe(true);
  });
});

describe('unknown caches and keys', () => {
  it('save/load of an unregistered cache is UNKNOWN_CACHE', async () => {
    const m = manager();
    await expect(m.saveCacheContents('nope')).rejects.toMatchObject({ code: 'UNKNOWN_CACHE' });
    expect(() => m.loadCacheContents('nope')).toThrow(code('UNKNOWN_CACHE'));
  });

  it('a key that is not a string or number is INVALID_KEY', () => {
    const cache = manager().registerCache('k', { persistent: false });
    expect(() => cache.set({} as never, 1)).toThrow(code('INVALID_KEY'));
    expect(cache.size).toBe(0);
  });
});

describe('throwing hooks lose nothing', () => {
  it('a throwing saver keeps the contents and pending changes and surfaces HOOK_FAILED with cause', async () => {
    const m = manager();
    const boom = new Error('saver exploded');
    const cache = m.registerCache('s', {
      loader: () => undefined,
      saver: () => {
        throw boom;
      },
    });
    cache.set('a', 1).set('b', 2);
    const failure = await cache.save().catch((e) => e);
    expect(failure).toMatchObject({ code: 'HOOK_FAILED' });
    expect(failure.cause).toBe(boom);
    expect(failure.message).toContain('saver exploded');
    await expect(m.saveCacheContents('s')).rejects.toMatchObject({ code: 'HOOK_FAILED' });
    await expect(m.flush()).rejects.toMatchObject({ code: 'HOOK_FAILED' });
    expect([...cache]).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(cache.unsavedChanges).toBe(2);
  });

  it('an async saver that rejects is HOOK_FAILED too', async () => {
    const cache = manager().registerCache('as', {
      loader: () => undefined,
      saver: async () => {
        throw new Error('later');
      },
    });
    cache.set('a', 1);
    await expect(cache.save()).rejects.toMatchObject({ code: 'HOOK_FAILED' });
    expect(cache.unsavedChanges).toBe(1);
  });

  it('a throwing loader at registration registers nothing', () => {
    const m = manager();
    expect(() =>
      m.registerCache('l', {
        loader: () => {
          throw new Error('no disk');
        },
      }),
    ).toThrow(code('HOOK_FAILED'));
    expect(m.hasCache('l')).toBe(false);
    expect(m.registerCache('l', { loader: () => ({ a: 1 }) }).get('a')).toBe(1);
  });

  it('a throwing loader, validator or builder on load() keeps the current contents', () => {
    const m = manager();
    const cache = m.registerCache('keep', { saver: () => undefined, loader: () => undefined });
    cache.set('a', 1);
    m.registerLoader('keep', () => {
      throw new Error('x');
    });
    expect(() => cache.load()).toThrow(code('HOOK_FAILED'));
    m.registerLoader('keep', () => ({ z: 1 }));
    m.registerValidator('keep', () => {
      throw new Error('y');
    });
    expect(() => cache.load()).toThrow(code('HOOK_FAILED'));
    m.registerValidator('keep', () => false);
    m.registerBuilder('keep', () => {
      throw new Error('z');
    });
    expect(() => cache.load()).toThrow(code('HOOK_FAILED'));
    expect([...cache]).toEqual([['a', 1]]);
    expect(cache.unsavedChanges).toBe(1);
  });

  it.each([
    ['a number', 42],
    ['a string', 'contents'],
    ['an array', [['a', 1]]],
    ['a promise', Promise.resolve({ a: 1 })],
    ['a class instance', new Date()],
    ['a Map with an object key', new Map([[{}, 1]])],
  ])('a loader returning %s is INVALID_CONTENTS', (_, returned) => {
    const m = manager();
    expect(() => m.registerCache('bad', { loader: () => returned as never })).toThrow(
      code('INVALID_CONTENTS'),
    );
    expect(m.hasCache('bad')).toBe(false);
  });

  it('a builder returning a non-object is INVALID_CONTENTS', () => {
    expect(() => manager().registerCache('b', { builder: () => 5 as never })).toThrow(
      code('INVALID_CONTENTS'),
    );
  });

  it('a failing deleter still clears memory and keeps an empty save pending', async () => {
    const saves: number[] = [];
    const cache = manager().registerCache('d', {
      loader: () => undefined,
      saver: (_, contents) => void saves.push(contents.size),
      deleter: () => {
        throw new Error('cannot delete');
      },
    });
    cache.set('a', 1);
    await expect(cache.invalidate()).rejects.toMatchObject({ code: 'HOOK_FAILED' });
    expect(cache.size).toBe(0);
    expect(cache.unsavedChanges).toBe(1);
    await cache.save();
    expect(saves).toEqual([0]); // the stale saved contents get overwritten by the empty cache
  });
});
