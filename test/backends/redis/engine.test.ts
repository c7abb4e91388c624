import { execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { closeConnections } from '../../../backends/redis';
import { cached } from '../../../lib/cached';
import { resetGlobalParams, setGlobalParams } from '../../../lib/config';
import { MemoirError } from '../../../lib/errors';
import { REDIS_URL, uniqueName } from '../../support/redis-fixtures';

/** `cached(fn, { backend: 'redis' })` end to end on the machine's Redis. */
const ROOT = path.resolve(__dirname, '../../..');
afterEach(() => resetGlobalParams());
afterAll(() => closeConnections());

function thrown(run: () => unknown): MemoirError {
  try {
    run();
  } catch (error) {
    return error as MemoirError;
  }
  throw new Error('expected a MemoirError');
}

describe('decoration', () => {
  it('needs the redis option, like mongo needs mongetter', () => {
    const error = thrown(() => cached(async () => 1, { name: 'x', backend: 'redis' }));
    expect(error).toBeInstanceOf(MemoirError);
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.message).toMatch(/"redis".*URL/);
  });

  it('takes the redis option from the global parameters too', () => {
    setGlobalParams({ backend: 'redis', redis: REDIS_URL });
    expect(() => cached(async () => 1, { name: uniqueName('global') })).not.toThrow();
  });

  it.each([
    ['redis', 'http://127.0.0.1:6379', /"redis"/],
    ['redis', { url: 'localhost:6379' }, /"redis\.url"/],
    ['redis', 42, /"redis"/],
    ['timeout', '0s', /"timeout"/],
    ['timeout', 'soon', /"timeout"/],
  ])('refuses %s = %p at decoration, naming the option', (option, value, message) => {
    const error = thrown(() =>
      cached(async () => 1, { name: 'x', backend: 'redis', redis: REDIS_URL, [option]: value }),
    );
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.message).toMatch(message);
  });

  it('names the package to install when node-redis is missing (a real process without it)', () => {
    const program = `const { cached } = require('memoir');
      try {
        cached((x) => x, { name: 'r', backend: 'redis', redis: 'redis://127.0.0.1:6379' });
        console.log(JSON.stringify({ code: 'none' }));
      } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const out = execFileSync(
      process.execPath,
      ['-r', path.join(ROOT, 'test/support/hide-packages.js'), '-e', program],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, MEMOIR_HIDE_PACKAGES: 'redis' },
      },
    );
    const result = JSON.parse(out) as { code: string; message: string };
    expect(result.code).toBe('MISSING_PEER_DEPENDENCY');
    expect(result.message).toContain('npm install redis');
  });
});

describe('calls', () => {
  it('computes once, then hits; a sync function returns a Promise of its result', async () => {
    let runs = 0;
    const area = cached(
      (w: number, h: number) => {
        runs++;
        return w * h;
      },
      { name: uniqueName('area'), backend: 'redis', redis: REDIS_URL },
    );
    expect(await area(2, 3)).toBe(6);
    expect(await area(2, 3)).toBe(6);
    expect(runs).toBe(1);
    expect(area.stats()).toMatchObject({ hits: 1, misses: 1 });
    expect(await area.peek(2, 3)).toBe(6);
    await area.clearCache();
    expect(await area.isCached(2, 3)).toBe(false);
  });

  it('shares entries between two functions of one name, and waits on each other', async () => {
    const name = uniqueName('shared');
    let runs = 0;
    const body = async (x: number) => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      return x + 1;
    };
    const quiet = { debug: () => undefined, warn: () => undefined };
    const first = cached(body, { name, backend: 'redis', redis: REDIS_URL, logger: quiet });
    const second = cached(body, { name, backend: 'redis', redis: REDIS_URL, logger: quiet });
    const results = await Promise.all([first(1), second(1)]);
    expect(results).toEqual([2, 2]);
    expect(runs).toBe(1);
    expect(second.stats().waits).toBe(1);
    await first.clearCache();
  });

  it('a waiter whose clock runs an hour ahead still waits for a live calculation', async () => {
    const name = uniqueName('skewed');
    let runs = 0;
    const body = async (x: number) => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return x + 1;
    };
    const quiet = { debug: () => undefined, warn: () => undefined };
    const calculator = cached(body, {
      name,
      backend: 'redis',
      redis: REDIS_URL,
      logger: quiet,
      lease: '1s',
    });
    const ahead = cached(body, {
      name,
      backend: 'redis',
      redis: REDIS_URL,
      logger: quiet,
      lease: '1s',
      clock: () => Date.now() + 3_600_000,
    });
    const computing = calculator(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await ahead(1)).toBe(2);
    expect(await computing).toBe(2);
    expect(runs).toBe(1);
    await calculator.clearCache();
  });
});

it('idle connections do not keep a process alive (no closeConnections needed)', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, '../../support/redis-idle-child.ts')],
    {
      env: { ...process.env, REDIS_IDLE_URL: REDIS_URL },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let doneAt = 0;
  child.stdout.on('data', (data: Buffer) => {
    if (data.toString().includes('done')) doneAt = Date.now();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(0);
  expect(doneAt).toBeGreaterThan(0);
  // Exiting takes a moment, not a timeout of any kind (5 s command timeout, lease, back-off).
  expect(Date.now() - doneAt).toBeLessThan(1_500);
}, 30_000);
