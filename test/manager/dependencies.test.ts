import { CacheManager, type ExternalCache } from '../../lib/manager/manager';
import { MemoirError } from '../../lib/errors';

let counter = 0;
function manager(): CacheManager {
  return new CacheManager(`deps-${++counter}`, {
    onWarning: (w) => {
      throw w;
    },
  });
}

/** An external cache that records each invalidation. */
function counting(log: string[], name: string): ExternalCache {
  return { invalidate: () => void log.push(name) };
}

describe('transitive invalidation', () => {
  it('clears the cache and every dependent, each exactly once (diamond)', async () => {
    const m = manager();
    const log: string[] = [];
    //   top → left → bottom, top → right → bottom
    for (const name of ['top', 'left', 'right', 'bottom']) {
      m.registerExternalCache(name, counting(log, name));
    }
    m.registerDependentCache('top', 'left');
    m.registerDependentCache('top', 'right');
    m.registerDependentCache('left', 'bottom');
    m.registerDependentCache('right', 'bottom');
    await m.invalidate('top');
    expect(log.sort()).toEqual(['bottom', 'left', 'right', 'top']);
    log.length = 0;
    await m.invalidate('left');
    expect(log.sort()).toEqual(['bottom', 'left']);
  });

  it('handles a 1,000-node chain, each node exactly once, parents first', async () => {
    const m = manager();
    const log: string[] = [];
    const names = Array.from({ length: 1000 }, (_, i) => `n${i}`);
    // Declared bottom-up, so every new edge's cycle check walks the chain built so far.
    for (let i = names.length - 2; i >= 0; i--) m.registerDependentCache(names[i], names[i + 1]);
    for (const name of names) m.registerExternalCache(name, counting(log, name));
    await m.invalidate('n0');
    expect(log).toEqual(names);
    log.length = 0;
    await m.invalidate('n998');
    expect(log).toEqual(['n998', 'n999']);
  });

  it('clears Map-like caches synchronously, before invalidate returns', async () => {
    const m = manager();
    const raw = m.registerCache('raw', { persistent: false });
    const derived = m.retrieveCache('derived');
    m.registerDependentCache('raw', 'derived');
    raw.set('x', 1);
    derived.set('y', 2);
    const done = raw.invalidate();
    expect(raw.size).toBe(0);
    expect(derived.size).toBe(0);
    await expect(done).resolves.toBeUndefined();
  });

  it('accepts edges between names that are registered later', async () => {
    const m = manager();
    m.registerDependentCache('raw', 'report'); // a memoized function declares dependsOn first
    const log: string[] = [];
    m.registerExternalCache('report', counting(log, 'report'));
    await m.invalidate('raw'); // 'raw' itself is not registered: only known by its edge
    expect(log).toEqual(['report']);
    const raw = m.registerCache('raw', { persistent: false });
    raw.set('a', 1);
    await raw.invalidate();
    expect(log).toEqual(['report', 'report']);
  });

  it('waits for asynchronous external clears; a Map-like cache can depend on a memoized function', async () => {
    const m = manager();
    let finished = false;
    m.registerExternalCache('fn', {
      invalidate: async () => {
        await new Promise((r) => setImmediate(r));
        finished = true;
      },
    });
    const downstream = m.retrieveCache('downstream');
    m.registerDependentCache('fn', 'downstream');
    downstream.set('a', 1);
    const done = m.invalidate('fn');
    expect(downstream.size).toBe(0);
    expect(finished).toBe(false);
    await done;
    expect(finished).toBe(true);
  });

  it('a failing dependent does not stop the others; the first failure rejects', async () => {
    const warnings: Error[] = [];
    const m = new CacheManager('deps-failing', { onWarning: (w) => warnings.push(w) });
    const log: string[] = [];
    m.registerExternalCache('a', counting(log, 'a'));
    m.registerExternalCache('b', {
      invalidate: () => {
        throw new Error('sync boom');
      },
    });
    m.registerExternalCache('c', { invalidate: () => Promise.reject(new Error('async boom')) });
    m.registerExternalCache('d', counting(log, 'd'));
    for (const child of ['b', 'c', 'd']) m.registerDependentCache('a', child);
    await expect(m.invalidate('a')).rejects.toThrow('sync boom');
    expect(log).toEqual(['a', 'd']);
    expect(warnings.map((w) => w.message)).toEqual(['async boom']);
  });

  it('re-registering an external cache replaces it', async () => {
    const m = manager();
    const log: string[] = [];
    m.registerExternalCache('fn', counting(log, 'old'));
    m.registerExternalCache('fn', counting(log, 'new'));
    await m.invalidate('fn');
    expect(log).toEqual(['new']);
  });

  it('an unknown name is UNKNOWN_CACHE', async () => {
    await expect(manager().invalidate('nothing')).rejects.toMatchObject({ code: 'UNKNOWN_CACHE' });
  });
});

describe('cycles', () => {
  function cycleError(run: () => void): MemoirError {
    try {
      run();
    } catch (error) {
      return error as MemoirError;
    }
    throw new Error('expected a cycle error');
  }

  it('refuses a self-dependency', () => {
    const error = cycleError(() => manager().registerDependentCache('a', 'a'));
    expect(error).toBeInstanceOf(MemoirError);
    expect(error.code).toBe('DEPENDENCY_CYCLE');
    expect(error.message).toContain('a → a');
  });

  it('names the whole cycle path and leaves the graph unchanged', async () => {
    const m = manager();
    m.registerDependentCache('a', 'b');
    m.registerDependentCache('b', 'c');
    m.registerDependentCache('c', 'd');
    const error = cycleError(() => m.registerDependentCache('d', 'a'));
    expect(error.code).toBe('DEPENDENCY_CYCLE');
    expect(error.message).toContain('d → a → b → c → d');
    const log: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) m.registerExternalCache(name, counting(log, name));
    await m.invalidate('d');
    expect(log).toEqual(['d']);
  });

  it('a repeated edge is not a cycle', () => {
    const m = manager();
    m.registerDependentCache('a', 'b');
    expect(() => m.registerDependentCache('a', 'b')).not.toThrow();
  });
});
