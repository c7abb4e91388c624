import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BaseCache,
  type CacheRegistry,
  caches,
  createCache,
  FileCache,
  HitMissRatio,
  type KeyValueCache,
  MemoryCache,
  MemoirError,
  parseDsn,
  registerBackend,
  Timing,
} from 'memoir';

type Modules = { caches: CacheRegistry; registerBackend: typeof registerBackend };

/** Runs `body` with `caches` and the backend registry as a fresh process would see them, with `env` set. */
function inFreshProcess<T>(env: Record<string, string>, body: (modules: Modules) => T): T {
  const saved = process.env;
  process.env = Object.fromEntries(Object.entries(saved).filter(([name]) => !name.startsWith('MEMOIR_DSN')));
  Object.assign(process.env, env);
  try {
    let modules!: Modules;
    jest.isolateModules(() => {
      modules = require('../../lib/caches');
    });
    return body(modules);
  } finally {
    process.env = saved;
  }
}

function thrown(fn: () => unknown): MemoirError {
  try {
    fn();
  } catch (error) {
    return error as MemoirError;
  }
  throw new Error('expected a throw');
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-registry-'));
afterAll(async () => {
  await caches.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('createCache', () => {
  it('builds the backend named by `backend`, memory by default', async () => {
    expect(createCache()).toBeInstanceOf(MemoryCache);
    const file = createCache({ backend: 'file', cacheDir: dir, namespace: 'n' });
    expect(file).toBeInstanceOf(FileCache);
    await file.set('k', 'v');
    expect(await file.get('k')).toBe('v');
    await file.close();
  });

  it('refuses an unknown backend or option, naming what is accepted', () => {
    const backend = thrown(() => createCache({ backend: 'nope' }));
    expect(backend.code).toBe('INVALID_OPTION');
    expect(backend.message).toMatch(/'memory', 'file', 'mongo'/);
    const option = thrown(() => createCache({ backend: 'memory', tll: '1h' } as never));
    expect(option.code).toBe('INVALID_OPTION');
    expect(option.message).toContain('"tll"');
    expect(option.message).toContain('ttl');
  });

  it('builds registered backends; built-in names cannot be taken', async () => {
    const seen: Array<Record<string, unknown>> = [];
    registerBackend('tracked', (options) => {
      seen.push(options);
      return new MemoryCache({ namespace: String(options.namespace ?? '') });
    });
    const cache = createCache({ backend: 'tracked', namespace: 'x', extra: 1 });
    await cache.set('k', 1);
    expect(seen).toEqual([{ backend: 'tracked', namespace: 'x', extra: 1 }]);
    expect(thrown(() => registerBackend('memory', () => createCache())).code).toBe('CONFLICTING_REGISTRATION');
    expect(thrown(() => registerBackend('not a scheme', () => createCache())).code).toBe('INVALID_OPTION');
  });

  it('a custom store wrapped in BaseCache gets every command', async () => {
    const values = new Map<string, unknown>();
    const cache = new BaseCache({
      backend: 'tiny',
      options: [],
      serializer: 'json',
      store: () => ({
        backend: 'tiny',
        get: (key) => values.get(key),
        multiGet: (keys) => keys.map((key) => values.get(key)),
        set: (key, value) => void values.set(key, value),
        add: (key, value) => !values.has(key) && values.set(key, value) !== undefined,
        multiSet: (entries) => {
          for (const [key, value] of entries) values.set(key, value);
        },
        exists: (key) => values.has(key),
        increment: () => Promise.reject(new Error('not here')),
        expire: () => false,
        delete: (key) => (values.delete(key) ? 1 : 0),
        clear: () => values.clear(),
        getVersioned: () => ({ value: undefined, version: undefined }),
        compareAndSet: () => undefined,
        tryLock: () => true,
        renewLock: () => true,
        unlock: () => true,
        close: () => undefined,
      }),
    });
    await cache.set('k', { a: [1] });
    expect(values.get('k')).toBe('{"a":[1]}');
    expect(await cache.get('k')).toEqual({ a: [1] });
  });
});

describe('caches (aliases)', () => {
  it("has a 'default' alias on memory; get returns one instance, create a new one with overrides", () => {
    const registry = inFreshProcess({}, (modules) => modules.caches);
    const first = registry.get('default');
    expect(first.constructor.name).toBe('MemoryCache');
    expect(registry.get()).toBe(first);
    const created = registry.create('default', { namespace: 'test' });
    expect(created).not.toBe(first);
    expect(created.namespace).toBe('test');
  });

  it('setConfig replaces the configuration; plugins by name become instances', async () => {
    caches.setConfig({
      default: { backend: 'memory', serializer: 'string' },
      disk: { backend: 'file', cacheDir: dir, timeout: '1s', serializer: 'msgpack', plugins: ['hitMissRatio', 'timing'] },
    });
    const disk = caches.get('disk') as KeyValueCache & { timeout: number; serializer: unknown };
    expect(disk).toBeInstanceOf(FileCache);
    expect(disk.timeout).toBe(1000);
    expect(disk.serializer).toBe('msgpack');
    expect(disk.plugins[0]).toBeInstanceOf(HitMissRatio);
    expect(disk.plugins[1]).toBeInstanceOf(Timing);
    await caches.get().set('n', 5);
    expect(await caches.get().get('n')).toBe('5');
    const alt = caches.create('disk', { namespace: 'test' });
    expect(alt.namespace).toBe('test');
    expect(alt.plugins).toHaveLength(2);
    await alt.close();
  });

  it('getConfig and getAliasConfig are copies', () => {
    caches.setConfig({ a: { backend: 'memory', plugins: ['timing'] } });
    const copy = caches.getAliasConfig('a');
    (copy.plugins as string[]).push('hitMissRatio');
    copy.backend = 'file';
    const all = caches.getConfig();
    delete all.a;
    expect(caches.getAliasConfig('a')).toEqual({ backend: 'memory', plugins: ['timing'] });
    expect(Object.keys(caches.getConfig()).sort()).toEqual(['a', 'default']);
  });

  it('an unknown alias is UNKNOWN_ALIAS listing the known ones', () => {
    caches.setConfig({ sessions: { backend: 'memory' } });
    const error = thrown(() => caches.get('session'));
    expect(error).toBeInstanceOf(MemoirError);
    expect(error.code).toBe('UNKNOWN_ALIAS');
    expect(error.message).toContain('default, sessions');
  });

  it('a bad configuration fails in setConfig naming the alias and the option, and changes nothing', () => {
    caches.setConfig({ good: { backend: 'memory' } });
    const ttl = thrown(() => caches.setConfig({ fine: { backend: 'memory' }, broken: { backend: 'memory', ttl: 'soon' } }));
    expect(ttl.code).toBe('INVALID_OPTION');
    expect(ttl.message).toMatch(/^Alias "broken": .*"ttl"/);
    expect(thrown(() => caches.setConfig({ x: { backend: 'nope' } })).message).toMatch(/^Alias "x": .*"backend"/);
    expect(thrown(() => caches.setConfig({ x: { serializer: 'json' } as never })).message).toMatch(/^Alias "x": .*"backend" is required/);
    expect(thrown(() => caches.setConfig({ x: { backend: 'file', cacheDir: 3 } })).message).toMatch(/^Alias "x": .*"cacheDir"/);
    expect(Object.keys(caches.getConfig()).sort()).toEqual(['default', 'good']);
  });

  it('setConfig closes the instances built from the old configuration; merge keeps the others', async () => {
    caches.setConfig({ a: { backend: 'memory', namespace: 'reg-a' }, b: { backend: 'memory' } });
    const old = caches.get('a');
    await old.set('k', 'v');
    caches.setConfig({ c: { backend: 'memory' } }, { merge: true });
    await expect(old.get('k')).rejects.toMatchObject({ code: 'BACKEND_ERROR' });
    expect(Object.keys(caches.getConfig()).sort()).toEqual(['a', 'b', 'c', 'default']);
    expect(await caches.get('a').get('k')).toBe('v'); // a new instance on the same memory namespace
  });
});

describe('caches from the environment', () => {
  it('reads MEMOIR_DSN and MEMOIR_DSN_<suffix> on first use: scheme, fragment, query', () => {
    const env = {
      MEMOIR_DSN: 'memory://?namespace=app&ttl=2h',
      MEMOIR_DSN_1: `file://${dir}?serializer=json&plugins=timing#disk`,
    };
    const registry = inFreshProcess(env, (modules) => {
      modules.caches.getConfig(); // first use: the environment is read now, and only now
      return modules.caches;
    });
    expect(registry.getConfig()).toEqual({
      default: { backend: 'memory', namespace: 'app', ttl: '2h' },
      disk: { backend: 'file', cacheDir: dir, serializer: 'json', plugins: ['timing'] },
    });
    expect(registry.get().namespace).toBe('app');
  });

  it('a redis DSN builds a RedisCache with its options, connecting only on the first command', async () => {
    const sessions = inFreshProcess({ MEMOIR_DSN_1: 'redis://127.0.0.1:6379/5?ttl=2h&timeout=1s&namespace=sessions#sessions' }, (modules) =>
      modules.caches.get('sessions'),
    ) as KeyValueCache & { ttl: number; timeout: number };
    expect(sessions.constructor.name).toBe('RedisCache');
    expect([sessions.namespace, sessions.ttl, sessions.timeout]).toEqual(['sessions', 7_200_000, 1_000]);
    await sessions.set('k', 'v');
    expect(await sessions.get('k')).toBe('v');
    await sessions.clear();
    await sessions.close();
  });

  it('a sqlite DSN builds a SqlCache', async () => {
    const file = path.join(dir, 'kv.db');
    const disk = inFreshProcess({ MEMOIR_DSN_2: `sqlite://${file}?namespace=app#disk` }, (modules) => modules.caches.get('disk'));
    expect(disk.constructor.name).toBe('SqlCache');
    await disk.set('k', 'v');
    expect(await disk.get('k')).toBe('v');
    await disk.close();
    expect(fs.existsSync(file)).toBe(true);
  });

  it('maps every scheme to its backend, keeping driver parameters in the URL', () => {
    const cases: Array<[string, string, Record<string, unknown>]> = [
      ['redis://127.0.0.1:6379/2?ttl=2h&timeout=1s#sessions', 'sessions', { backend: 'redis', redis: 'redis://127.0.0.1:6379/2', ttl: '2h', timeout: '1s' }],
      ['rediss://:pw@cache:6380/0', 'default', { backend: 'redis', redis: 'rediss://:pw@cache:6380/0' }],
      ['postgres://app@127.0.0.1/app?sslmode=disable&table=kv#pg', 'pg', { backend: 'sql', sql: 'postgres://app@127.0.0.1/app?sslmode=disable', table: 'kv' }],
      ['sqlite:///var/cache/app/kv.db?namespace=app#disk', 'disk', { backend: 'sql', sql: 'sqlite:///var/cache/app/kv.db', namespace: 'app' }],
      ['mysql://root@127.0.0.1/test#maria', 'maria', { backend: 'sql', sql: 'mysql://root@127.0.0.1/test' }],
      ['mongodb://127.0.0.1:27017/app?collection=kv&directConnection=true#m', 'm', { backend: 'mongo', mongetter: { uri: 'mongodb://127.0.0.1:27017/app?directConnection=true', db: 'app', collection: 'kv' } }],
      ['file:///var/cache/app?plugins=timing,hitMissRatio', 'default', { backend: 'file', cacheDir: '/var/cache/app', plugins: ['timing', 'hitMissRatio'] }],
      ['memory://#scratch', 'scratch', { backend: 'memory' }],
    ];
    for (const [dsn, alias, config] of cases) expect(parseDsn(dsn, 'MEMOIR_DSN')).toEqual({ alias, config });
  });

  it('a scheme registered with registerBackend builds that backend with the url and the query as options', () => {
    const given: Array<Record<string, unknown>> = [];
    inFreshProcess({ MEMOIR_DSN_3: 'myredis://10.0.0.5:6379/0?ttl=100&pool=4#custom' }, (modules) => {
      modules.registerBackend('myredis', (options) => {
        given.push(options);
        return createCache();
      });
      modules.caches.get('custom');
    });
    expect(given).toEqual([{ backend: 'myredis', url: 'myredis://10.0.0.5:6379/0', ttl: 100, pool: 4 }]);
  });

  it('a bad DSN fails at first use, naming the variable', () => {
    const firstUse = (env: Record<string, string>, alias?: string) => inFreshProcess(env, (modules) => thrown(() => modules.caches.get(alias)));
    expect(firstUse({ MEMOIR_DSN_7: 'not a url' }).message).toMatch(/^MEMOIR_DSN_7: not a URL/);
    const error = firstUse({ MEMOIR_DSN_2: 'memory://?ttl=soon#fast' }, 'fast');
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.message).toMatch(/^MEMOIR_DSN_2 \(alias "fast"\): .*"ttl"/);
    expect(firstUse({ MEMOIR_DSN: 'nosuch://host/0' }).message).toMatch(/^MEMOIR_DSN \(alias "default"\): .*"backend"/);
    expect(firstUse({ MEMOIR_DSN: 'memory://#a', MEMOIR_DSN_1: 'memory://#a' }, 'a').message).toMatch(/alias "a" is already defined by MEMOIR_DSN/);
  });

  it('never shows a password in an error', () => {
    const message = inFreshProcess({ MEMOIR_DSN: 'redis://user:hunter2@/0 bad' }, (modules) => thrown(() => modules.caches.get()).message);
    expect(message).toContain('MEMOIR_DSN');
    expect(message).not.toContain('hunter2');
  });
});
