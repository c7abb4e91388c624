import { cached } from '../../lib/cached';
import { resetGlobalParams } from '../../lib/config/global-params';
import { uniqueName } from '../support/engine-helpers';

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

  test('the function name is the default cache name', () => {
    function distinctlyNamedLoader(x: number) {
      return x;
    }
    expect(cached(distinctlyNamedLoader, { backend: 'memory' }).cacheName).toBe('distinctlyNamedLoader');
  });

  test('an anonymous function on a persistent backend without a name fails at decoration', () => {
    expect(() => cached((x: number) => x, { backend: 'file' })).toThrow(
      expect.objectContaining({ name: 'MemoirError', code: 'INVALID_OPTION', message: expect.stringMatching(/name/) }),
    );
    // 'file' is the global default backend
    expect(() => cached((x: number) => x)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => cached((x: number) => x, { backend: 'file', name: uniqueName('named') })).not.toThrow();
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
