import * as fs from 'node:fs';
import * as path from 'node:path';
import { closeConnections, createRedisCore } from '../../backends/redis';
import { cached, defaultKey } from '../../lib';
import { RedisServer } from '../support/redis-server';
import { ensureBuiltCli, runCli, tempDir } from './harness';

/**
 * The `memoir` CLI end to end against Redis (a server of this file's own, port 6404): caches
 * filled by real memoized functions, the built dist/cli.js run as a child process with --redis.
 */
jest.setTimeout(30_000);

const PORT = 6404;
let server: RedisServer;
let url: string;
let db = 0;

beforeAll(async () => {
  const built = ensureBuiltCli();
  server = await RedisServer.start(PORT);
  await built;
}, 60_000);

beforeEach(() => {
  // Each test its own database: `list` sees only that test's caches.
  url = `${server.url}/${db++}`;
});

afterAll(async () => {
  await closeConnections();
  await server?.stop();
});

const memoir = (...args: string[]) => runCli([...args, '--redis', url]);

/** A memoized function on Redis, with 4 entries stored. */
async function fillArea(name: string) {
  const area = cached((w: number, h: number) => ({ area: w * h }), {
    name,
    backend: 'redis',
    redis: url,
  });
  for (let w = 1; w <= 4; w++) await area(w, 2);
  return area;
}

test('list, inspect, clear-being-calculated, prune and clear on a Redis database', async () => {
  const area = await fillArea('redis-area');
  await fillArea('redis-other');
  const core = createRedisCore({ name: 'redis-area', options: { redis: url }, report: () => {} });
  const now = Date.now();
  await core.acquire('in-flight', { owner: 'worker-7', now, leaseUntil: now + 60_000 });
  await core.write(area.keyFor(1, 2), { area: 2 }, { time: now - 3 * 86_400_000 });

  const list = await memoir('list', '--json');
  expect(list.code).toBe(0);
  expect(list.json.location).toBe(url);
  expect(list.json.caches.map((each: { name: string }) => each.name)).toEqual([
    'redis-area',
    'redis-other',
  ]);
  expect(list.json.caches[0]).toMatchObject({
    layout: 'redis',
    entries: 5,
    completed: 4,
    deadMarks: 0,
  });
  expect(list.json.caches[0].bytes).toBeGreaterThan(0);
  expect(list.json.caches[0].liveMarks).toEqual([
    expect.objectContaining({ key: 'in-flight', owner: 'worker-7' }),
  ]);
  const [mark] = list.json.caches[0].liveMarks;
  expect(mark.leaseLeftMs).toBeGreaterThan(20_000); // ~60 s in the caller's clock, minus the CLI's run
  expect(mark.leaseLeftMs).toBeLessThanOrEqual(60_000);
  expect(list.json.caches[0].oldest).toBe(now - 3 * 86_400_000);
  const human = await memoir('list');
  expect(human.stdout).toMatch(/redis-area\s+5\s/);
  expect(human.stdout).toContain('worker-7');

  const inspect = await memoir('inspect', 'redis-area', '--args', '[2, 2]', '--json');
  expect(inspect.code).toBe(0);
  expect(inspect.json.entries).toEqual([
    expect.objectContaining({ key: defaultKey([2, 2]), completed: true, rendered: '{ area: 4 }' }),
  ]);
  const all = await memoir('inspect', 'redis-area', '--json');
  expect(all.json.total).toBe(5);

  const marks = await memoir('clear-being-calculated', 'redis-area', '--json');
  expect(marks.json).toMatchObject({ cache: 'redis-area', cleared: 1 });
  const pruned = await memoir('prune', 'redis-area', '--older-than', '2d', '--json');
  expect(pruned.json).toMatchObject({ removed: 1 });
  expect(await area.isCached(1, 2)).toBe(false);
  expect(await area.isCached(2, 2)).toBe(true);

  const cleared = await memoir('clear', 'redis-area', '--json', '--progress');
  expect(cleared.json).toMatchObject({ removed: 3 });
  expect(cleared.stderr).toContain('clearing redis-area: 1/1 step (100%)');
  expect(
    (await memoir('list', '--json')).json.caches.map((each: { name: string }) => each.name),
  ).toEqual(['redis-other']);
  await core.close?.();
});

test('precache stores values the memoized function then hits', async () => {
  const dir = tempDir('redis');
  try {
    const from = path.join(dir, 'values.json');
    fs.writeFileSync(from, JSON.stringify([{ args: ['eu', 2024], value: { total: 7 } }]));
    const result = await memoir('precache', 'report', '--from', from, '--create', '--json');
    expect(result.code).toBe(0);
    expect(result.json).toMatchObject({
      cache: 'report',
      written: 1,
      keys: [defaultKey(['eu', 2024])],
    });
    const body = jest.fn(async (region: string, year: number) => ({ total: region.length + year }));
    const report = cached(body, { name: 'report', backend: 'redis', redis: url });
    expect(await report('eu', 2024)).toEqual({ total: 7 });
    expect(body).not.toHaveBeenCalled();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown cache name fails with exit 1 and lists the known ones', async () => {
  await fillArea('redis-known');
  const result = await memoir('clear', 'redis-unknown', '--json');
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(
    `No cache named "redis-unknown" in ${url} (known caches: redis-known)`,
  );
  expect(result.json.error.code).toBe('UNKNOWN_CACHE');
});

test('an unreachable server fails fast with exit 1, without the password', async () => {
  const started = Date.now();
  const result = await runCli([
    'list',
    '--redis',
    'redis://user:secret@127.0.0.1:6499/0',
    '--timeout',
    '300ms',
  ]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('redis://user:***@127.0.0.1:6499/0');
  expect(result.stderr).not.toContain('secret');
  expect(Date.now() - started).toBeLessThan(5_000);
});

test('redis options are checked before connecting (exit 2)', async () => {
  const cases: Array<[string[], string]> = [
    [['list', '--redis', 'http://x'], 'must start with redis://'],
    [['list', '--redis', 'redis://h', '--cache-dir', '/tmp'], 'give one of'],
    [
      ['list', '--redis', 'redis://h', '--collection', 'c'],
      '--collection only applies with --mongo-uri',
    ],
    [['list', '--redis', 'redis://h', '--timeout', 'x'], '--timeout must be'],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(args)));
  results.forEach((result, i) => {
    expect({ args: cases[i]![0], code: result.code }).toEqual({ args: cases[i]![0], code: 2 });
    expect(result.stderr).toContain(cases[i]![1]);
  });
});
