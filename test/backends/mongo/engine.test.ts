import { cached, type MemoirEvent } from '../../../lib';
import { commandsOn, openStandinFixture } from '../../support/mongo-fixtures';

/**
 * The engine (`cached`) on the mongo backend over the stand-in, in one process: the round
 * trips a hit and a miss cost, and the backend-error policy.
 */
let fixture: Awaited<ReturnType<typeof openStandinFixture>>;
let names = 0;

beforeAll(async () => {
  fixture = await openStandinFixture();
});
afterAll(() => fixture.close());

const quietLogger = () => ({ debug: jest.fn(), warn: jest.fn() });

function memoize<A extends unknown[], R>(
  fn: (...args: A) => R,
  options: Record<string, unknown> = {},
) {
  return cached(fn, {
    name: `engine-${names++}`,
    backend: 'mongo',
    mongetter: () => fixture.collection,
    logger: quietLogger(),
    ...options,
  });
}

const log = () => commandsOn(fixture.standin, fixture.collection.collectionName);

it('costs one find per hit, and one findAndModify per acquire on a miss', async () => {
  const body = jest.fn(async (n: number) => n * 2);
  const double = memoize(body);
  await double(0); // first use creates the index
  fixture.standin.commandLog.length = 0;

  expect(await double(21)).toBe(42);
  const miss = log(); // find, findAndModify, update: read, acquire, store-and-release
  expect(miss.filter((command) => command === 'findAndModify')).toHaveLength(1);
  expect(miss).toEqual(['find', 'findAndModify', 'update']);

  fixture.standin.commandLog.length = 0;
  expect(await double(21)).toBe(42);
  expect(log()).toEqual(['find']);
  expect(body).toHaveBeenCalledTimes(2);
});

it('a sync function on the mongo backend returns a Promise of its result', async () => {
  const add = memoize((a: number, b: number) => a + b);
  const result = add(2, 3);
  expect(result).toBeInstanceOf(Promise);
  expect(await result).toBe(5);
});

it('runs the function and reports once when the server fails, by default', async () => {
  const events: MemoirEvent[] = [];
  const logger = quietLogger();
  const body = jest.fn(async (n: number) => n + 1);
  const inc = memoize(body, { onEvent: (event: MemoirEvent) => events.push(event), logger });
  await inc(0);

  fixture.standin.failNext('find', { code: 2, codeName: 'BadValue', errmsg: 'disk on fire' });
  expect(await inc(1)).toBe(2);
  // The breaker is open now: the next call does not touch the server at all.
  fixture.standin.commandLog.length = 0;
  expect(await inc(2)).toBe(3);
  expect(log()).toEqual([]);
  expect(inc.stats().backendErrors).toBe(1);
  expect(events.filter((event) => event.type === 'backend-error')).toHaveLength(1);
  expect(logger.warn).toHaveBeenCalledTimes(1);
  expect(String(logger.warn.mock.calls[0][0])).toContain('disk on fire');
});

it("throws BACKEND_ERROR with onBackendError: 'throw'", async () => {
  const inc = memoize(async (n: number) => n + 1, { onBackendError: 'throw' });
  await inc(0);
  fixture.standin.failNext('find', { code: 2, codeName: 'BadValue', errmsg: 'disk on fire' });
  await expect(inc(1)).rejects.toMatchObject({ code: 'BACKEND_ERROR' });
});

it('shares entries between functions of the same name on one collection', async () => {
  const name = `shared-${names++}`;
  const first = memoize(async (s: string) => `first:${s}`, { name });
  const second = memoize(async (s: string) => `second:${s}`, { name });
  expect(await first('x')).toBe('first:x');
  expect(await second('x')).toBe('first:x');
  await first.clearCache();
  expect(await second('x')).toBe('second:x');
});

it('runs the function once for 50 concurrent callers of one key while the server is unreachable', async () => {
  let runs = 0;
  const down = cached(
    async (n: number) => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return n + 1;
    },
    {
      name: `unreachable-${names++}`,
      backend: 'mongo',
      // Nothing listens on port 1: every operation fails after the selection timeout.
      mongetter: { uri: 'mongodb://127.0.0.1:1/', db: 'memoir_test', collection: 'down', clientOptions: { serverSelectionTimeoutMS: 300 } },
      logger: quietLogger(),
    },
  );
  const answers = await Promise.all(Array.from({ length: 50 }, () => down(1)));
  expect(answers).toEqual(Array(50).fill(2));
  expect(runs).toBe(1);
  expect(down.stats().backendErrors).toBe(1);
});
