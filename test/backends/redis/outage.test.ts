import Redis from 'ioredis';
import { closeConnections } from '../../../backends/redis';
import { cached } from '../../../lib/cached';
import { MemoirError } from '../../../lib/errors';
import type { MemoirEvent } from '../../../lib/contract';
import { RedisServer, waitUntil } from '../../support/redis-server';

/**
 * A Redis that stops answering (SIGSTOP: connections stay open, nothing comes back) or goes
 * away (killed, restarted empty) must never hang a call: each call gets its function's result
 * within `timeout` (+ a little), and calls cache again once the server is back. The server is
 * this file's own (port 6402).
 */
const PORT = 6402;
const TIMEOUT_MS = 300;
/** The bound: no call blocked longer than `timeout` + 100 ms with the server stopped. */
const BOUND_MS = TIMEOUT_MS + 100;
let server: RedisServer;
let counter = 0;

beforeAll(async () => {
  server = await RedisServer.start(PORT);
});

afterEach(async () => {
  server.resume();
  // Each test starts with fresh connections: no back-off carried over from the previous one.
  await closeConnections();
});

afterAll(async () => {
  await closeConnections();
  await server?.stop();
});

const quiet = { debug: () => undefined, warn: () => undefined };

function memoized(redis: string | object, extra: Record<string, unknown> = {}) {
  let runs = 0;
  const events: MemoirEvent[] = [];
  const fn = cached(
    async (x: number) => {
      runs++;
      return x * 2;
    },
    {
      name: `outage-${process.pid}-${counter++}`,
      backend: 'redis',
      redis,
      timeout: TIMEOUT_MS,
      logger: quiet,
      onEvent: (event) => events.push(event),
      ...extra,
    },
  );
  return { fn, events, runs: () => runs };
}

/** Runs `call` and measures it. */
async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await call();
  return { value, ms: performance.now() - started };
}

it('a stopped server: every call returns its function’s result within timeout, then caching resumes', async () => {
  const { fn, events, runs } = memoized(server.url);
  expect(await fn(1)).toBe(2);
  expect(await fn(1)).toBe(2);
  expect(runs()).toBe(1);

  server.pause();
  const sequential: number[] = [];
  for (let i = 0; i < 5; i++) {
    const call = await timed(() => fn(1));
    expect(call.value).toBe(2);
    sequential.push(call.ms);
  }
  const concurrent = await Promise.all([2, 3, 4, 5].map((x) => timed(() => fn(x))));
  expect(concurrent.map((call) => call.value)).toEqual([4, 6, 8, 10]);
  expect(
    [...sequential, ...concurrent.map((call) => call.ms)].filter((ms) => ms > BOUND_MS),
  ).toEqual([]);
  expect(events.filter((event) => event.type === 'backend-error').length).toBeGreaterThanOrEqual(1);
  const runsWhileStopped = runs();
  expect(runsWhileStopped).toBe(1 + 5 + 4);

  server.resume();
  // The engine's circuit breaker and the connection's back-off probe again within seconds.
  await waitUntil(
    async () => {
      const before = runs();
      await fn(7);
      await fn(7);
      return runs() === before + 1;
    },
    8_000,
    'caching did not resume after the server came back',
  );
}, 20_000);

it('a stopped server with the user’s ioredis client: each call is bounded by timeout', async () => {
  const client = new Redis({ port: PORT, host: '127.0.0.1' });
  try {
    const { fn } = memoized(client);
    expect(await fn(1)).toBe(2);
    server.pause();
    const calls = await Promise.all([1, 2, 3].map((x) => timed(() => fn(x))));
    expect(calls.map((call) => call.value)).toEqual([2, 4, 6]);
    expect(calls.filter((call) => call.ms > BOUND_MS)).toEqual([]);
  } finally {
    server.resume();
    client.disconnect();
  }
});

it("onBackendError 'throw': a stopped server rejects with BACKEND_ERROR (caused by TIMEOUT) within timeout", async () => {
  const { fn } = memoized(server.url, { onBackendError: 'throw' });
  expect(await fn(1)).toBe(2);
  server.pause();
  const started = performance.now();
  const error = await fn(2).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(performance.now() - started).toBeLessThan(BOUND_MS);
  expect(error).toBeInstanceOf(MemoirError);
  expect((error as MemoirError).code).toBe('BACKEND_ERROR');
  expect((error as MemoirError).message).toContain('outage-');
  expect(((error as MemoirError).cause as MemoirError).code).toBe('TIMEOUT');
});

it('a server that is gone: calls return at once; caching resumes once it is back', async () => {
  const { fn, runs } = memoized(server.url);
  expect(await fn(1)).toBe(2);
  await server.kill();
  try {
    const calls = await Promise.all([1, 2].map((x) => timed(() => fn(x))));
    expect(calls.map((call) => call.value)).toEqual([2, 4]);
    expect(calls.filter((call) => call.ms > BOUND_MS)).toEqual([]);
  } finally {
    await server.start();
  }
  // The engine's circuit breaker probes the server again within a few seconds.
  await waitUntil(
    async () => {
      const before = runs();
      await fn(3);
      await fn(3);
      return runs() === before + 1;
    },
    8_000,
    'caching did not resume after the server came back',
  );
}, 20_000);

it('closeConnections() closes memoir’s connections; a later call reconnects', async () => {
  const { fn, runs } = memoized(server.url);
  expect(await fn(1)).toBe(2);
  await closeConnections();
  expect(await fn(1)).toBe(2);
  expect(runs()).toBe(1);
});
