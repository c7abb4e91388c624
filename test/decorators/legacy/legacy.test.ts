// As a program using emitDecoratorMetadata does: memoir itself defines no Reflect.metadata,
// so without this import TypeScript's emitted design:* metadata would be dropped.
import 'reflect-metadata';
import { cached, cachedMethodsOf, cacheOf } from 'memoir';
import { classes, Derived, memory, Pricer, Rates } from '../classes';
import { methodSuite } from '../method-suite';

// Compiled with test/decorators/legacy/tsconfig.json (experimentalDecorators and
// emitDecoratorMetadata on; jest.config.js routes this folder to it): legacy decorators,
// called with (prototype or class, name, descriptor), with design:* metadata emitted.

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
