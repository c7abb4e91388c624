import { MemoryCache, ValueCache } from 'memoir';

// Compiled with experimentalDecorators (see legacy.test.ts): @ValueCache.cached({ key }) gets
// (prototype, name, descriptor) here and replaces the descriptor's value.
describe('@ValueCache.cached({ key }) as a legacy decorator', () => {
  test("keys by what the key function returns, with the call's this", async () => {
    const cache = new MemoryCache({ namespace: 'legacy-value-cached' });
    class Reports extends ValueCache<string> {
      static override cache = cache;
      static override prefix = 'report';
    }
    let runs = 0;
    class Service {
      constructor(readonly tenant: string) {}

      @Reports.cached({
        key(this: Service, month: string) {
          return [this.tenant, month];
        },
      })
      async build(month: string): Promise<string> {
        runs++;
        return `${this.tenant} ${month}`;
      }
    }
    expect(await new Service('acme').build('2024-01')).toBe('acme 2024-01');
    expect(await new Service('acme').build('2024-01')).toBe('acme 2024-01');
    expect(await new Service('other').build('2024-01')).toBe('other 2024-01');
    expect(runs).toBe(2);
    expect(await new Reports(['acme', '2024-01']).get()).toBe('acme 2024-01');
    await cache.close();
  });
});
