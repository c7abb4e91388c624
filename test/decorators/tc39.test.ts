import { cached, MemoirError } from 'memoir';
import { classes, memory } from './classes';
import { methodSuite } from './method-suite';

// Compiled by the root tsconfig.json: experimentalDecorators is off, so these are standard
// (TC39) decorators, called with (method, context).

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
