import { defaultKey, type Memoized, MemoirError } from 'memoir';

/**
 * One behavioural suite for `@cached` methods, run by each decorator flavour's test file
 * (tc39.test.ts under the root tsconfig, legacy/legacy.test.ts under experimentalDecorators).
 * The classes are declared in those files, so each flavour's compiled decorator calls are
 * what runs here; this file holds only the assertions.
 *
 * Decorators cannot change a member's declared type, so the interfaces below type the
 * decorated members as `Memoized<...>`: that is what they are at runtime.
 */

/** Counts body runs per method, outside the instances (instance fields are part of the key). */
export type Runs = Record<string, number>;

export interface Pricer {
  rate: number;
  price: Memoized<(amount: number) => number>;
  /** Returns `this`, to prove the body runs with the instance as `this`. */
  self: Memoized<() => unknown>;
}

export interface Fetcher {
  fetch: Memoized<(id: string) => Promise<string>>;
}

export interface Classes {
  runs: Runs;
  /** `@cached({ backend: 'memory' }) price(amount)` returns amount * this.rate. */
  Pricer: new (
    rate: number,
  ) => Pricer;
  /** Same body, with `shareAcrossInstances: true`. */
  SharedPricer: new (
    rate: number,
  ) => Pricer;
  /** Same body, with `instanceKey: (self) => self.rate` and an extra field `noise`. */
  KeyedPricer: new (
    rate: number,
    noise: number,
  ) => Pricer;
  /** `@cached static lookup(code)` returns `code:<runs>`. */
  Rates: { lookup: Memoized<(code: string) => string> };
  /** `class SubRates extends Rates {}`. */
  SubRates: { lookup: Memoized<(code: string) => string> };
  /** `@cached async fetch(id)` awaits a tick and returns `id!<runs>`. */
  Fetcher: new () => Fetcher;
  /** `@cached describe()` returns 'base'; Derived extends it without overriding. */
  Base: new () => { describe: Memoized<() => string> };
  Derived: new () => { describe: Memoized<() => string> };
  /** Derived from Base, overriding describe() with an undecorated method returning 'plain'. */
  Overriding: new () => { describe: () => string };
  /** Derived from Base, overriding describe() with `super.describe() + '+super'`. */
  SuperCalling: new () => { describe: () => string };
  /** Has an arrow-function field `onChange`; `@cached get(x)` returns x. */
  WithCallback: new () => { get: Memoized<(x: number) => number> };
  /** Declares a class whose method is decorated with `options`; returns nothing. */
  declareWith(options: object): void;
}

/** Default names are qualified by the module that declares the class: the shared classes module. */
const CLASSES_MODULE = 'memoir/test/decorators/classes.ts';

export function methodSuite(flavour: string, classes: Classes): void {
  const { runs } = classes;

  describe(`@cached methods (${flavour})`, () => {
    test('memoizes under ClassName.method, with the instance as this', () => {
      const pricer = new classes.Pricer(2);
      expect(pricer.price.cacheName).toBe(`${CLASSES_MODULE}:Pricer.price`);
      expect(pricer.price(10)).toBe(20);
      expect(pricer.price(10)).toBe(20);
      expect(runs['Pricer.price']).toBe(1);
      expect(pricer.self()).toBe(pricer);
      // The same bound function on every access, so its management methods know the instance.
      expect(pricer.price).toBe(pricer.price);
    });

    test('instances with different state never share results; equal state does', () => {
      const base = runs['Pricer.price'] ?? 0;
      const two = new classes.Pricer(7);
      const three = new classes.Pricer(8);
      expect(two.price(5)).toBe(35);
      expect(three.price(5)).toBe(40);
      expect(runs['Pricer.price']).toBe(base + 2);
      const twin = new classes.Pricer(7);
      expect(twin.price(5)).toBe(35);
      expect(runs['Pricer.price']).toBe(base + 2);
      // State is read at call time: mutating the instance moves it to other entries.
      twin.rate = 9;
      expect(twin.price(5)).toBe(45);
      expect(runs['Pricer.price']).toBe(base + 3);
    });

    test('shareAcrossInstances drops the instance from the key', () => {
      const a = new classes.SharedPricer(2);
      const b = new classes.SharedPricer(3);
      expect(a.price(10)).toBe(20);
      expect(b.price(10)).toBe(20);
      expect(runs['SharedPricer.price']).toBe(1);
      expect(a.price.keyFor(10)).toBe(defaultKey([10]));
    });

    test('a custom instanceKey decides which instances share', () => {
      const a = new classes.KeyedPricer(2, 1);
      const sameKey = new classes.KeyedPricer(2, 99);
      const otherKey = new classes.KeyedPricer(3, 1);
      expect(a.price(10)).toBe(20);
      expect(sameKey.price(10)).toBe(20);
      expect(runs['KeyedPricer.price']).toBe(1);
      expect(otherKey.price(10)).toBe(30);
      expect(runs['KeyedPricer.price']).toBe(2);
    });

    test('static methods memoize, are named after the class, and do not key on it', () => {
      const { Rates, SubRates } = classes;
      expect(Rates.lookup.cacheName).toBe(`${CLASSES_MODULE}:Rates.lookup`);
      expect(Rates.lookup('eur')).toBe('eur:1');
      expect(Rates.lookup('eur')).toBe('eur:1');
      expect(Rates.lookup.keyFor('eur')).toBe(defaultKey(['eur']));
      // A subclass inherits the static and its entries.
      expect(SubRates.lookup('eur')).toBe('eur:1');
      expect(runs['Rates.lookup']).toBe(1);
    });

    test('management methods are reachable from the decorated method and scoped to the instance', async () => {
      const pricer = new classes.Pricer(100);
      const other = new classes.Pricer(200);
      const before = runs['Pricer.price'] ?? 0;
      expect(await pricer.price.peek(1)).toBeUndefined();
      expect(pricer.price(1)).toBe(100);
      expect(other.price(1)).toBe(200);
      expect(await pricer.price.peek(1)).toBe(100);
      expect(await other.price.peek(1)).toBe(200);
      expect(await pricer.price.isCached(1)).toBe(true);
      expect(pricer.price.keyFor(1)).not.toBe(other.price.keyFor(1));

      await pricer.price.invalidate(1);
      expect(await pricer.price.isCached(1)).toBe(false);
      expect(await other.price.isCached(1)).toBe(true);

      const runsBeforeSkip = runs['Pricer.price'];
      expect(other.price.with({ skipCache: true })(1)).toBe(200);
      expect(runs['Pricer.price']).toBe(runsBeforeSkip + 1);

      await pricer.price.precacheValue([4], -1);
      expect(pricer.price(4)).toBe(-1);
      expect(other.price(4)).toBe(800);

      const stats = pricer.price.stats();
      expect(stats.hits).toBeGreaterThanOrEqual(1);
      expect(stats.misses).toBeGreaterThanOrEqual(1);
      expect(pricer.price.cachePath()).toBeUndefined();

      await pricer.price.clearCache();
      expect(await other.price.isCached(1)).toBe(false);
      expect(runs['Pricer.price']).toBe(before + 4);
    });

    test('async methods return promises, share one in-flight run, and hit as promises', async () => {
      const fetcher = new classes.Fetcher();
      const first = fetcher.fetch('a');
      const second = fetcher.fetch('a');
      expect(first).toBeInstanceOf(Promise);
      expect(await Promise.all([first, second])).toEqual(['a!1', 'a!1']);
      const hit = fetcher.fetch('a');
      expect(hit).toBeInstanceOf(Promise);
      expect(await hit).toBe('a!1');
      expect(runs['Fetcher.fetch']).toBe(1);
      expect(await fetcher.fetch.peek('a')).toBe('a!1');
    });

    test("a subclass keeps the declaring class's name; overrides replace the cached method", () => {
      const derived = new classes.Derived();
      expect(derived.describe.cacheName).toBe(`${CLASSES_MODULE}:Base.describe`);
      expect(derived.describe()).toBe('base');
      expect(new classes.Base().describe()).toBe('base');
      // Equal (empty) state: a Base and a Derived share the entry under Base.describe.
      expect(runs['Base.describe']).toBe(1);

      expect(new classes.Overriding().describe()).toBe('plain');
      expect(new classes.SuperCalling().describe()).toBe('base+super');
      expect(runs['Base.describe']).toBe(1);
    });

    test('an instance field that cannot be keyed is reported as a field, with the way out', () => {
      const call = () => new classes.WithCallback().get(1);
      expect(call).toThrow(MemoirError);
      expect(call).toThrow(/this\.onChange is a function/);
      expect(call).toThrow(/instanceKey/);
    });

    test('a decorated method can be replaced on one instance (stubs) and spied on', () => {
      const stubbed = new classes.Pricer(11);
      const untouched = new classes.Pricer(11);
      (stubbed as { price: unknown }).price = () => -1;
      expect(stubbed.price(1)).toBe(-1);
      expect(untouched.price(1)).toBe(11);
      // The stub is not instance state: the rest of the instance keys as before.
      expect(stubbed.self.keyFor()).toBe(untouched.self.keyFor());

      const spied = new classes.Pricer(12);
      const spy = jest.spyOn(spied, 'price');
      expect(spied.price(1)).toBe(12);
      expect(spy).toHaveBeenCalledWith(1);
      spy.mockRestore();
      expect(spied.price.cacheName).toBe(`${CLASSES_MODULE}:Pricer.price`);
    });

    test('bad options throw when the class is defined', () => {
      const attempt = (options: object) => {
        try {
          classes.declareWith(options);
        } catch (error) {
          return error;
        }
        return undefined;
      };
      const badUnit = attempt({ backend: 'memory', staleAfter: 'soon' });
      expect(badUnit).toBeInstanceOf(MemoirError);
      expect((badUnit as MemoirError).message).toContain('staleAfter');
      expect(attempt({ backend: 'memory', shareAcrossInstances: 'yes' })).toBeInstanceOf(
        MemoirError,
      );
      expect(attempt({ backend: 'memory', instanceKey: 'id' })).toBeInstanceOf(MemoirError);
      expect(attempt({ backend: 'nowhere' })).toBeInstanceOf(MemoirError);
      const noMongetter = attempt({ backend: 'mongo' });
      expect(noMongetter).toBeInstanceOf(MemoirError);
      expect((noMongetter as MemoirError).message).toContain('mongetter');
      expect(attempt({ backend: 'memory' })).toBeUndefined();
    });
  });
}
