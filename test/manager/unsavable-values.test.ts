import { CacheManager, MemoirError } from '../../lib';
import { DrivenProcess } from '../support/manager-driven';
import { makeTempDir } from '../support/manager-temp';

/**
 * One value a persistent cache cannot save must not cost the others (issue 12, item 9): it is
 * refused at `set` with SERIALIZATION_FAILED, and a value that turns unsavable after it was
 * set (mutated in place) is reported and left out while everything else is saved.
 */
const temp = makeTempDir('memoir-unsavable-');
afterEach(() => DrivenProcess.killLeftovers());
afterAll(() => temp.cleanup());

let counter = 0;
function setup() {
  const warnings: Error[] = [];
  const name = `unsavable-${++counter}`;
  const make = () =>
    new CacheManager(name, {
      cacheDirectory: temp.dir,
      autoSync: false,
      onWarning: (warning) => warnings.push(warning),
    });
  return { make, warnings };
}

class WithCallback {
  constructor(readonly onDone: () => void) {}
}

const unsavable: Array<[string, unknown]> = [
  ['a function', () => 1],
  ['a symbol', Symbol('s')],
  ['an object holding a function', { nested: { deep: [1, () => 2] } }],
  ['a Map holding a function', new Map([['k', () => 3]])],
  ['a class instance with a callback field', new WithCallback(() => {})],
  ['a WeakMap', new WeakMap()],
];

it.each(unsavable)('%s is refused at set, naming the cache and the key; the cache is unchanged', (_, value) => {
  const { make } = setup();
  const cache = make().registerCache<string, unknown>('values');
  cache.set('kept', 1);
  let thrown: unknown;
  try {
    cache.set('bad', value);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(MemoirError);
  expect(thrown).toMatchObject({ code: 'SERIALIZATION_FAILED' });
  expect((thrown as Error).message).toContain(`Cache "${cache.name}"`);
  expect((thrown as Error).message).toContain('"bad"');
  expect(cache.has('bad')).toBe(false);
  expect(cache.unsavedChanges).toBe(1);
});

it('replacing a good value with an unsavable one keeps the good value', async () => {
  const { make } = setup();
  const cache = make().registerCache<string, unknown>('values');
  cache.set('k', 'good');
  expect(() => cache.set('k', () => 1)).toThrow(expect.objectContaining({ code: 'SERIALIZATION_FAILED' }));
  expect(cache.get('k')).toBe('good');
  await cache.save();
  expect(make().registerCache('values').get('k')).toBe('good');
});

it('caches that memoir does not serialize accept any value: non-persistent, or with a saver hook', async () => {
  const { make } = setup();
  const manager = make();
  const fn = () => 1;
  manager.registerCache('volatile', { persistent: false }).set('f', fn);
  expect(manager.retrieveCache('volatile').get('f')).toBe(fn);
  const saved: unknown[] = [];
  const hooked = manager.registerCache<string, unknown>('hooked', {
    saver: (_name, contents) => {
      saved.push(contents.get('f'));
    },
  });
  hooked.set('f', fn);
  await hooked.save();
  expect(saved).toEqual([fn]);
});

it('a value made unsavable after set is reported and left out; the other 100 are saved', async () => {
  const { make, warnings } = setup();
  const cache = make().registerCache<string, unknown>('values');
  for (let i = 0; i < 100; i++) cache.set(`good${i}`, { i });
  const holder: Record<string, unknown> = { fine: true };
  cache.set('mutated', holder);
  holder.callback = () => 1; // after set: only the save can notice
  await cache.save();

  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatchObject({ code: 'SERIALIZATION_FAILED' });
  expect(warnings[0].message).toContain('"mutated"');
  expect(cache.get('mutated')).toBe(holder); // still in memory, only not saved
  const reloaded = make().registerCache<string, unknown>('values');
  expect(reloaded.size).toBe(100);
  expect(reloaded.get('good99')).toEqual({ i: 99 });
});

it('in a real process, 100 good values plus a refused function survive a normal exit', async () => {
  const driven = await DrivenProcess.start(temp.dir, 'exit-with-bad');
  await driven.send({ op: 'fill', prefix: 'good', count: 100 });
  expect(await driven.send({ op: 'set-fn', key: 'bad' })).toEqual({ error: 'SERIALIZATION_FAILED' });
  await driven.send({ op: 'poison', key: 'poisoned' });
  const ending = await driven.exit();
  expect(ending.code).toBe(0);
  // The poisoned value is reported as a process warning at the exit flush, naming the key.
  expect(ending.stderr).toContain('"poisoned"');

  const manager = new CacheManager('driver', { cacheDirectory: temp.dir, autoSync: false });
  const cache = manager.registerCache('exit-with-bad');
  expect(cache.size).toBe(100);
  expect(cache.has('bad')).toBe(false);
});
