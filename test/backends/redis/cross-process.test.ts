import { createClient } from 'redis';
import { RedisServer, waitUntil } from '../../support/redis-server';
import { RedisWorker, runsOf } from '../../support/redis-workers';

/**
 * Real processes sharing a real Redis through the engine (`cached` on the redis backend): one
 * calculation per key however many processes ask, recovery from a SIGKILLed calculator
 * within the lease, a late writer that does not overwrite, and a server restarted (its data
 * gone) in the middle of a calculation. The server is this file's own (port 6403).
 */
const PORT = 6403;
const WORKERS = 8;
/** The target is 20 rounds without a duplicate; MEMOIR_MP_RUNS changes it for soak runs. */
const ROUNDS = Number(process.env.MEMOIR_MP_RUNS ?? 20);
/** Rounds of the 8 x 200 keys case; MEMOIR_MP_MANY_RUNS=20 for the 20 repeats (about 1 s each). */
const MANY_ROUNDS = Number(process.env.MEMOIR_MP_MANY_RUNS ?? 1);
const LEASE_MS = 600;
const CACHE = `redis-cross-${process.pid}`;

let server: RedisServer;
let raw: ReturnType<typeof createClient>;
let workers: RedisWorker[] = [];

beforeAll(async () => {
  server = await RedisServer.start(PORT);
  raw = createClient({ url: server.url });
  raw.on('error', () => undefined);
  await raw.connect();
  workers = await RedisWorker.startMany(WORKERS, {
    REDIS_WORKER_URL: server.url,
    REDIS_WORKER_CACHE: CACHE,
    REDIS_WORKER_LEASE: `${LEASE_MS}ms`,
    REDIS_WORKER_TIMEOUT: '1s',
  });
}, 90_000);

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.kill('SIGKILL')));
  raw?.destroy();
  await server?.stop();
});

/** Every value the cache holds, as the start of its text (`value of <key> from `). */
async function storedValues(): Promise<string[]> {
  const values: string[] = [];
  for await (const page of raw.scanIterator({
    MATCH: `{memoir:${CACHE}-default:*}:value`,
    COUNT: 1000,
  })) {
    for (const value of await raw.mGet(page))
      values.push(/value of \S+ from /.exec(value ?? '')?.[0] ?? '');
  }
  return values;
}

async function leftoverLeases(): Promise<string[]> {
  const leases: string[] = [];
  for await (const page of raw.scanIterator({ MATCH: `{memoir:${CACHE}*}:lease`, COUNT: 1000 }))
    leases.push(...page);
  return leases;
}

it(`computes one key once across ${WORKERS} processes, ${ROUNDS} rounds in a row`, async () => {
  const duplicates: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const key = `round-${round}`;
    const results = await Promise.all(
      workers.map((worker) => worker.call(key, 'quick', 100, 'default')),
    );
    expect(results.map((result) => result.error)).toEqual(Array(WORKERS).fill(undefined));
    expect(new Set(results.map((result) => result.value)).size).toBe(1);
    const runs = runsOf(workers, key);
    if (runs !== 1) duplicates.push(`${key}: ${runs} runs`);
  }
  expect(duplicates).toEqual([]);
}, 120_000);

it(`${WORKERS} processes × 200 keys at once: every entry present, computed once, none left marked (${MANY_ROUNDS} round(s))`, async () => {
  for (let round = 0; round < MANY_ROUNDS; round++) {
    const keys = Array.from({ length: 200 }, (_, i) => `many-${round}-${i}`);
    const results = await Promise.all(workers.map((worker) => worker.callMany(keys, 20)));
    expect(results.map((result) => result.error)).toEqual(Array(WORKERS).fill(undefined));
    const stored = await storedValues();
    expect(keys.filter((key) => !stored.includes(`value of ${key} from `))).toEqual([]);
    expect(keys.filter((key) => runsOf(workers, key) !== 1)).toEqual([]);
    expect(await leftoverLeases()).toEqual([]);
  }
}, 600_000);

it('lets a waiter take over within the lease when the calculating process is SIGKILLed', async () => {
  const [victim, waiter] = workers.splice(-2, 2);
  void victim!.call('killed', 'hang').catch(() => undefined);
  await victim!.whenStarted('killed');
  const waiting = waiter!.call('killed', 'quick', 10);
  // The victim renews its lease while alive, so the waiter keeps waiting past one lease.
  await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 1.5));
  expect(waiter!.started('killed')).toBe(0);

  const killedAt = Date.now();
  await victim!.kill('SIGKILL');
  const result = await waiting;
  expect(result.error).toBeUndefined();
  expect(result.value).toBe(`value of killed from ${waiter!.child.pid}`);
  expect(Date.now() - killedAt).toBeLessThan(LEASE_MS * 2.5);
  workers.push(waiter!);
});

it('a calculation whose lease expired under a blocked event loop does not overwrite the new value', async () => {
  const [blocked, taker, reader] = workers;
  const late = blocked!.call('blocked', 'block', LEASE_MS * 3);
  await blocked!.whenStarted('blocked');
  // The blocked process cannot renew: its lease runs out and the taker computes the key.
  const taken = await taker!.call('blocked', 'quick', 10);
  expect(taken.value).toBe(`value of blocked from ${taker!.child.pid}`);
  // The late calculation still answers its own caller...
  expect((await late).value).toBe(`value of blocked from ${blocked!.child.pid}`);
  // ...but the stored value is the taker's.
  const read = await reader!.call('blocked', 'quick', 10);
  expect(read.value).toBe(`value of blocked from ${taker!.child.pid}`);
  expect(reader!.started('blocked')).toBe(0);
});

it('a server restarted mid-calculation (data gone): no call hangs, every caller gets a value, the next calls cache again', async () => {
  const [calculator, ...waiters] = workers.slice(0, 4);
  const first = calculator!.call('restarted', 'quick', 800);
  await calculator!.whenStarted('restarted');
  const waiting = waiters.map((worker) => worker.call('restarted', 'quick', 10));
  await new Promise((resolve) => setTimeout(resolve, 100));
  await server.restart();
  const results = await Promise.all([first, ...waiting]);
  expect(results.map((result) => result.error)).toEqual(Array(results.length).fill(undefined));
  expect(
    results.every((result) => String(result.value).startsWith('value of restarted from ')),
  ).toBe(true);

  // The server is empty but up again: once each process's circuit breaker has probed it
  // (every few seconds), a key computed by one process is a hit for all the others.
  let attempt = 0;
  await waitUntil(
    async () => {
      const key = `after-restart-${attempt++}`;
      await workers[0]!.call(key, 'quick', 10);
      const again = await Promise.all(workers.map((worker) => worker.call(key, 'quick', 10)));
      expect(again.map((result) => result.error)).toEqual(Array(WORKERS).fill(undefined));
      return runsOf(workers, key) === 1;
    },
    15_000,
    'the processes did not cache again after the restart',
  );
}, 60_000);
