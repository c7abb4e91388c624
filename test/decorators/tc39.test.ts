import { type CachedOptions, cached, MemoirError } from 'memoir';
import { type Classes, methodSuite, type Runs } from './method-suite';

// Compiled by the root tsconfig.json: experimentalDecorators is off, so these are standard
// (TC39) decorators, called with (method, context).

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

methodSuite('TC39 decorators', classes);

describe('@cached methods (TC39 only)', () => {
  test('async: true makes a promise-returning method hit as a promise before its first run', async () => {
    class Loader {
      @cached({ ...memory, async: true })
      load(id: string): Promise<string> {
        return Promise.resolve(`loaded ${id}`);
      }
    }
    const loader = new Loader();
    const method = loader.load as unknown as {
      precacheValue(args: [string], value: string): Promise<string>;
    };
    await method.precacheValue(['x'], 'precached');
    const hit = loader.load('x');
    expect(hit).toBeInstanceOf(Promise);
    expect(await hit).toBe('precached');
  });

  test('decorating something other than a method is an error', () => {
    const decorator = cached(memory) as unknown as (value: unknown, context: object) => unknown;
    expect(() => decorator(undefined, { kind: 'field', name: 'x', static: false })).toThrow(
      MemoirError,
    );
    expect(() => decorator(() => 1, { kind: 'getter', name: 'x', static: false })).toThrow(
      /not a getter/,
    );
  });
});
