import { type CachedOptions, cached } from 'memoir';
import type { Classes, Runs } from './method-suite';

/**
 * The classes every decorator-mode test file runs methodSuite against. Jest compiles this
 * module once per project, with that project's tsconfig: the root one (TC39 decorators) for
 * tc39.test.ts, test/decorators/legacy/tsconfig.json (experimentalDecorators) for the legacy
 * file. One source, two decorator semantics.
 */
export const runs: Runs = {};
const ran = (name: string) => {
  runs[name] = (runs[name] ?? 0) + 1;
  return runs[name];
};
export const memory = { backend: 'memory' } as const;

export class Pricer {
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
export class Rates {
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
export class Derived extends Base {}
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

export const classes = {
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
