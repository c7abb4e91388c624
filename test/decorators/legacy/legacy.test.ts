import { type CachedOptions, cached, cachedMethodsOf, cacheOf } from 'memoir';
import { type Classes, methodSuite, type Runs } from '../method-suite';

// Compiled with test/decorators/legacy/tsconfig.json (experimentalDecorators and
// emitDecoratorMetadata on; jest.config.js routes this folder to it): legacy decorators,
// called with (prototype or class, name, descriptor), with design:* metadata emitted.

const runs: Runs = {};
const ran = (name: string) => {
  runs[name] = (runs[name] ?? 0) + 1;
  return runs[name];
};
const memory = { backend: 'memory' } as const;

class Pricer {
  constructor(public rate: number) {}

  @cached(memory)
  price(amount: number): number {
    ran('Pricer.price');
    return amount * this.rate;
  }

  @cached({ ...memory, allowNone: true })
  self(): unknown {
    return this;
  }
}

class SharedPricer {
  constructor(public rate: number) {}

  @cached({ ...memory, shareAcrossInstances: true })
  price(amount: number): number {
    ran('SharedPricer.price');
    return amount * this.rate;
  }
}

class KeyedPricer {
  constructor(
    public rate: number,
    public noise: number,
  ) {}

  @cached({ ...memory, instanceKey: (self: KeyedPricer) => self.rate })
  price(amount: number): number {
    ran('KeyedPricer.price');
    return amount * this.rate;
  }
}

// biome-ignore lint/complexity/noStaticOnlyClass: a static decorated method is what this tests
class Rates {
  @cached(memory)
  static lookup(code: string): string {
    return `${code}:${ran('Rates.lookup')}`;
  }
}
class SubRates extends Rates {}

class Fetcher {
  @cached(memory)
  async fetch(id: string): Promise<string> {
    await new Promise((resolve) => setImmediate(resolve));
    return `${id}!${ran('Fetcher.fetch')}`;
  }
}

class Base {
  @cached(memory)
  describe(): string {
    ran('Base.describe');
    return 'base';
  }
}
class Derived extends Base {}
class Overriding extends Base {
  override describe(): string {
    return 'plain';
  }
}
class SuperCalling extends Base {
  override describe(): string {
    return `${super.describe()}+super`;
  }
}

class WithCallback {
  onChange = () => undefined;

  @cached(memory)
  get(x: number): number {
    return x;
  }
}

const classes = {
  runs,
  Pricer,
  SharedPricer,
  KeyedPricer,
  Rates,
  SubRates,
  Fetcher,
  Base,
  Derived,
  Overriding,
  SuperCalling,
  WithCallback,
  declareWith(options: object) {
    class Declared {
      @cached(options as CachedOptions)
      method(): number {
        return 1;
      }
    }
    return Declared;
  },
} as unknown as Classes;

methodSuite('legacy decorators', classes);

describe('@cached methods (legacy only)', () => {
  test('design:returntype Promise makes a non-async method async: a first-call hit is a promise', async () => {
    class Loader {
      // Not `async`: without the emitted return type memoir could not know it returns a Promise.
      @cached(memory)
      load(id: string): Promise<string> {
        return Promise.resolve(`loaded ${id}`);
      }

      @cached(memory)
      plain(id: string): string {
        return `plain ${id}`;
      }
    }
    expect(Reflect.getMetadata('design:returntype', Loader.prototype, 'load')).toBe(Promise);
    const loader = new Loader();
    await cacheOf(loader.load).precacheValue(['x'], 'precached');
    const hit = loader.load('x');
    expect(hit).toBeInstanceOf(Promise);
    expect(await hit).toBe('precached');

    // The contrast: a method declared to return a plain value hits synchronously.
    await cacheOf(loader.plain).precacheValue(['x'], 'precached');
    expect(loader.plain('x')).toBe('precached');
  });

  test('cachedMethodsOf lists the decorated methods, inherited ones included', () => {
    expect(cachedMethodsOf(Pricer.prototype)).toEqual(['price', 'self']);
    expect(cachedMethodsOf(Rates)).toEqual(['lookup']);
    expect(cachedMethodsOf(Derived.prototype)).toEqual(['describe']);

    class Report extends Pricer {
      @cached(memory)
      override price(amount: number): number {
        return amount;
      }

      @cached(memory)
      total(): number {
        return 0;
      }
    }
    expect(cachedMethodsOf(Report.prototype)).toEqual(['price', 'self', 'total']);
    expect(cachedMethodsOf(Pricer.prototype)).toEqual(['price', 'self']);
    expect(cachedMethodsOf(class Plain {}.prototype)).toEqual([]);
  });
});
