import { closeConnections, createRedisCore } from '../../backends/redis';
import { RedisServer } from '../support/redis-server';
import { ensureBuiltCli, runCli } from './harness';
import { describeServerCli } from './server-suite';

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

describeServerCli(() => ({
  prefix: 'redis',
  layout: 'redis',
  flags: () => ['--redis', url],
  options: () => ({ backend: 'redis', redis: url }),
  location: () => url,
  core: (name) => createRedisCore({ name, options: { redis: url }, report: () => {} }),
}));

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
