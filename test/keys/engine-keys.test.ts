import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as orders from '../support/names/orders';
import * as users from '../support/names/users';
import { cached } from '../../lib/cached';
import { memoirKey } from '../../lib/keys';
import { resetGlobalParams } from '../../lib/config/global-params';
import { recordingLogger, uniqueName } from '../support/engine-helpers';

afterEach(() => resetGlobalParams());

function recorder() {
  const calls: unknown[][] = [];
  const f = cached((...args: unknown[]) => {
    calls.push(args);
    return calls.length;
  }, { name: uniqueName('keys'), backend: 'memory' });
  return { f, calls };
}

describe('arguments are keyed by value', () => {
  test('equal plain objects share an entry whatever their key order', () => {
    const { f, calls } = recorder();
    expect(f({ a: 1, b: { c: [1, 2] } })).toBe(1);
    expect(f({ b: { c: [1, 2] }, a: 1 })).toBe(1);
    expect(f({ a: 1, b: { c: [2, 1] } })).toBe(2);
    expect(calls).toHaveLength(2);
  });

  test('equal Maps, Sets, Dates and arrays share an entry', () => {
    const { f, calls } = recorder();
    f(new Map([['x', 1]]), new Set([1, 2]), new Date(0), [1, [2]]);
    f(new Map([['x', 1]]), new Set([1, 2]), new Date(0), [1, [2]]);
    expect(calls).toHaveLength(1);
    f(new Map([['x', 2]]), new Set([1, 2]), new Date(0), [1, [2]]);
    f(new Map([['x', 1]]), new Set([1, 2]), new Date(1), [1, [2]]);
    expect(calls).toHaveLength(3);
  });

  test('trailing undefined arguments do not matter, but inner ones do', () => {
    const { f, calls } = recorder();
    f(1);
    f(1, undefined);
    f(1, undefined, undefined);
    expect(calls).toHaveLength(1);
    f(undefined, 1);
    expect(calls).toHaveLength(2);
  });

  test('keys are type-aware', () => {
    const { f, calls } = recorder();
    f(1);
    f('1');
    f(new Date(0));
    f(new Date(0).toISOString());
    expect(calls).toHaveLength(4);
  });
});

describe('namespaces', () => {
  test('two functions never share entries unless they share a name', () => {
    const double = cached((x: number) => x * 2, { name: uniqueName('double'), backend: 'memory' });
    const triple = cached((x: number) => x * 3, { name: uniqueName('triple'), backend: 'memory' });
    expect(double(5)).toBe(10);
    expect(triple(5)).toBe(15);

    const anonA = cached((x: number) => x + 1, { backend: 'memory' });
    const anonB = cached((x: number) => x + 2, { backend: 'memory' });
    expect(anonA(1)).toBe(2);
    expect(anonB(1)).toBe(3);

    const shared = uniqueName('shared');
    const first = cached((x: number) => `first ${x}`, { name: shared, backend: 'memory' });
    const second = cached((x: number) => `second ${x}`, { name: shared, backend: 'memory' });
    expect(first(1)).toBe('first 1');
    expect(second(1)).toBe('first 1');
  });

  test('the default name is the function name qualified by its package and module', () => {
    function distinctlyNamedLoader(x: number) {
      return x;
    }
    expect(cached(distinctlyNamedLoader, { backend: 'memory' }).cacheName).toBe(
      'memoir/test/keys/engine-keys.test.ts:distinctlyNamedLoader',
    );
  });

  test('an anonymous function is named by its position, and needs no name on a persistent backend', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-anon-'));
    try {
      const f = cached((x: number) => x * 3, { backend: 'file', cacheDir: dir });
      expect(f.cacheName).toMatch(/^memoir\/test\/keys\/engine-keys\.test\.ts:\d+:\d+$/);
      expect(f(2)).toBe(6);
      expect(f(2)).toBe(6);
      expect(f.stats()).toMatchObject({ hits: 1, misses: 1 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('two functions named alike in two modules never share entries', () => {
    expect(users.load.cacheName).toBe('memoir/test/support/names/users.ts:load');
    expect(orders.load.cacheName).toBe('memoir/test/support/names/orders.ts:load');
    expect(users.load(1)).toEqual({ module: 'users', id: 1 });
    expect(orders.load(1)).toEqual({ module: 'orders', id: 1 });
  });

  test('two functions named alike in two package roots never share entries', () => {
    const roots = ['pkg-a', 'pkg-b'].map((name) => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), `memoir-${name}-`));
      fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name }));
      fs.writeFileSync(
        path.join(root, 'collide.js'),
        `module.exports = (cached) => cached(function collide(a, b) { return '${name}:' + (a + b); }, { backend: 'memory' });\n`,
      );
      return root;
    });
    try {
      const [a, b] = roots.map((root) => require(path.join(root, 'collide.js'))(cached));
      expect(a.cacheName).toBe('pkg-a/collide.js:collide');
      expect(b.cacheName).toBe('pkg-b/collide.js:collide');
      expect(a(1, 2)).toBe('pkg-a:3');
      expect(b(1, 2)).toBe('pkg-b:3');
    } finally {
      for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('two different functions that land on one default name never share entries, and both places are named', () => {
    const logger = recordingLogger();
    const make = () => cached(function sameName(x: number) { return x; }, { backend: 'memory', logger });
    const first = cached(function twin(x: number) { return `first ${x}`; }, { backend: 'memory', logger });
    const second = cached(function twin(x: number) { return `second ${x}`; }, { backend: 'memory', logger });
    expect([first(1), second(1)]).toEqual(['first 1', 'second 1']);
    expect(first.cacheName).toMatch(/:twin$/);
    expect(second.cacheName).toMatch(new RegExp(`^${first.cacheName}~[0-9a-f]{10}$`));
    expect(logger.warns).toHaveLength(1);
    expect(logger.warns[0]).toMatch(/two different functions at .* have one default cache name/);
    expect(logger.warns[0].match(/engine-keys\.test\.ts:\d+:\d+/g)).toHaveLength(3);
    // The same function cached at two places is one computation: it shares, with a warning.
    const compute = (x: number) => x * 10;
    const here = cached(compute, { backend: 'memory', logger });
    const there = cached(compute, { backend: 'memory', logger });
    expect(there.cacheName).toBe(here.cacheName);
    expect(logger.warns).toHaveLength(2);
    expect(logger.warns[1]).toMatch(/the same function is cached at .* and share entries/);
    logger.warns.length = 1;
    // One definition made again (a cached() inside a handler) is no collision, nor is an explicit shared name.
    make();
    make();
    cached((x: number) => x, { backend: 'memory', logger, name: 'shared-on-purpose' });
    cached((x: number) => x, { backend: 'memory', logger, name: 'shared-on-purpose' });
    expect(logger.warns).toHaveLength(1);
  });
});

describe('unhashable arguments', () => {
  it('reject the promise of an async function instead of throwing synchronously', async () => {
    const f = cached(async (cb: () => void) => typeof cb, { name: `unhashable-async-${Date.now()}`, backend: 'memory' });
    let result: Promise<unknown> | undefined;
    expect(() => {
      result = f(() => undefined);
    }).not.toThrow();
    await expect(result).rejects.toMatchObject({ code: 'UNHASHABLE_ARGUMENT' });
  });

  it('throw synchronously from a sync function', () => {
    const f = cached((cb: () => void) => typeof cb, { name: `unhashable-sync-${Date.now()}`, backend: 'memory' });
    expect(() => f(() => undefined)).toThrow(expect.objectContaining({ code: 'UNHASHABLE_ARGUMENT' }));
  });
});

describe('arguments the key refuses (issue 12, items 2 and 13)', () => {
  const deep = () => {
    let value: unknown = 'bottom';
    for (let i = 0; i < 20_000; i++) value = { value };
    return value;
  };

  it('a 20,000-deep argument is UNHASHABLE_ARGUMENT from a sync function, a rejection from an async one', async () => {
    const sync = cached((x: unknown) => typeof x, { name: uniqueName('deep-sync'), backend: 'memory' });
    expect(() => sync(deep())).toThrow(expect.objectContaining({ name: 'MemoirError', code: 'UNHASHABLE_ARGUMENT' }));
    const async = cached(async (x: unknown) => typeof x, { name: uniqueName('deep-async'), backend: 'memory' });
    await expect(async(deep())).rejects.toMatchObject({ name: 'MemoirError', code: 'UNHASHABLE_ARGUMENT' });
  });

  it('a class instance is refused, not keyed by its visible fields alone', () => {
    class Account {
      #balance: number;
      constructor(readonly id: string, balance: number) {
        this.#balance = balance;
      }
      get balance() {
        return this.#balance;
      }
    }
    const { f, calls } = recorder();
    expect(() => f(new Account('a', 1))).toThrow(expect.objectContaining({ code: 'UNHASHABLE_ARGUMENT', message: expect.stringContaining('Account') }));
    expect(calls).toHaveLength(0);
  });

  it('-0 and 0 are different arguments, also on the primitive fast path', () => {
    const { f, calls } = recorder();
    f(0);
    f(-0);
    f(0);
    f(-0);
    expect(calls).toHaveLength(2);
  });
});

describe('keys of methods', () => {
  it("name the instance's state when it cannot be keyed, with the way out", () => {
    class Connection {}
    class Repo {
      readonly connection = new Connection();
      @cached({ backend: 'memory' })
      find(id: number) {
        return id;
      }
    }
    expect(() => new Repo().find(1)).toThrow(
      expect.objectContaining({
        code: 'UNHASHABLE_ARGUMENT',
        message: expect.stringMatching(/the instance's state \(this\)\.connection.*Connection.*instanceKey/),
      }),
    );
  });

  it('use [memoirKey]() for the instance when its class has one', () => {
    let runs = 0;
    class Account {
      #id: string;
      constructor(id: string) {
        this.#id = id;
      }
      [memoirKey]() {
        return this.#id;
      }
      @cached({ backend: 'memory' })
      describe() {
        runs++;
        return `account ${this.#id}`;
      }
    }
    expect(new Account('a').describe()).toBe('account a');
    expect(new Account('a').describe()).toBe('account a');
    expect(new Account('b').describe()).toBe('account b');
    expect(runs).toBe(2);
  });
});
