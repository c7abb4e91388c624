import { type Standin, startStandin } from '../../support/mongo-standin';
import { MongoWorker } from '../../support/mongo-workers';

/**
 * Real processes sharing one stand-in through the engine (`cached` on the mongo backend):
 * one calculation per key however many processes ask, recovery from a SIGKILLed
 * calculator within the lease, and a result even when the connection drops mid-call.
 */
const WORKERS = 3;
/** The target is 20 rounds without a duplicate; MEMOIR_MP_RUNS raises it for soak runs. */
const ROUNDS = Number(process.env.MEMOIR_MP_RUNS ?? 20);
const LEASE_MS = 600;

let standin: Standin;
let workers: MongoWorker[] = [];

beforeAll(async () => {
  standin = await startStandin();
  const env = {
    MONGO_WORKER_URI: standin.uri,
    MONGO_WORKER_COLLECTION: `cross_${process.pid}`,
    MONGO_WORKER_LEASE: `${LEASE_MS}ms`,
  };
  workers = await Promise.all(Array.from({ length: WORKERS }, () => MongoWorker.start(env)));
}, 60_000);

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.kill('SIGTERM')));
  await standin?.stop();
});

it(`computes each key once across ${WORKERS} processes, ${ROUNDS} rounds in a row`, async () => {
  const duplicates: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const key = `round-${round}`;
    const results = await Promise.all(workers.map((worker) => worker.call(key, 'quick', 60)));
    expect(results.map((result) => result.error)).toEqual(Array(WORKERS).fill(undefined));
    expect(new Set(results.map((result) => result.value)).size).toBe(1);
    const runs = workers.reduce((sum, worker) => sum + worker.started(key), 0);
    if (runs !== 1) duplicates.push(`${key}: ${runs} runs`);
  }
  expect(duplicates).toEqual([]);
});

it('returns the function result when the connection drops mid-call', async () => {
  const [worker] = workers;
  const call = worker.call('dropped', 'quick', 400);
  await worker.next((message) => message.type === 'started' && message.key === 'dropped');
  standin.dropConnections();
  const result = await call;
  expect(result.error).toBeUndefined();
  expect(result.value).toBe(`value of dropped from ${worker.child.pid}`);
});

it('lets a waiter take over within the lease when the calculating process is SIGKILLed', async () => {
  const [victim, waiter] = workers.slice(-2);
  void victim.call('killed', 'hang').catch(() => undefined); // never answers: it is killed
  await victim.next((message) => message.type === 'started' && message.key === 'killed');

  const waiting = waiter.call('killed', 'quick', 10);
  // The victim renews its mark while alive, so the waiter keeps waiting past one lease.
  await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 1.5));
  expect(waiter.started('killed')).toBe(0);

  const killedAt = Date.now();
  await victim.kill('SIGKILL');
  const result = await waiting;
  const recoveredAfter = Date.now() - killedAt;

  expect(result.error).toBeUndefined();
  expect(result.value).toBe(`value of killed from ${waiter.child.pid}`);
  expect(waiter.started('killed')).toBe(1);
  expect(recoveredAfter).toBeLessThan(LEASE_MS * 2.5);
});

it('machines whose clocks disagree by an hour: a live calculation is waited for, a dead one taken over', async () => {
  const env = {
    MONGO_WORKER_URI: standin.uri,
    MONGO_WORKER_COLLECTION: `cross_${process.pid}`,
    MONGO_WORKER_LEASE: `${LEASE_MS}ms`,
  };
  // The waiter's clock runs an hour ahead of the calculator's: on its own clock, the
  // calculator's lease ran out 59 minutes ago. Leases are judged on the server's clock.
  const [calculator, waiter] = await Promise.all([
    MongoWorker.start(env),
    MongoWorker.start({ ...env, MONGO_WORKER_CLOCK_SHIFT_MS: String(3_600_000) }),
  ]);
  try {
    void calculator.call('skewed', 'hang').catch(() => undefined); // never answers: it is killed
    await calculator.next((message) => message.type === 'started' && message.key === 'skewed');
    const waiting = waiter.call('skewed', 'quick', 10);
    // Past one lease (the calculator renews it): the waiter has not taken the calculation over.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 1.5));
    expect(waiter.started('skewed')).toBe(0);

    const killedAt = Date.now();
    await calculator.kill('SIGKILL');
    const result = await waiting;
    expect(result.error).toBeUndefined();
    expect(result.value).toBe(`value of skewed from ${waiter.child.pid}`);
    expect(waiter.started('skewed')).toBe(1);
    expect(Date.now() - killedAt).toBeLessThan(LEASE_MS * 2.5);
  } finally {
    await Promise.all([calculator.kill('SIGKILL'), waiter.kill('SIGTERM')]);
  }
});
