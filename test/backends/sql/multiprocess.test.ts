import type { Engine } from '../../../backends/sql/source';
import { ENGINES, rawQuery, SCRATCH, type ScratchDatabase } from '../../support/sql-databases';
import { SqlWorker } from '../../support/sql-workers';

/**
 * Real processes sharing one database through the engine (`cached` on the sql backend), on
 * each engine: one calculation per key however many processes ask, a SIGKILLed calculator
 * taken over within the lease, and (PostgreSQL) every memoir connection terminated by the
 * server in the middle of a calculation.
 */
const WORKERS = 8;
/** The target is 20 rounds per engine; MEMOIR_MP_RUNS raises the suite's 5 to that. */
const ROUNDS = Number(process.env.MEMOIR_MP_RUNS ?? 5);
const LEASE_MS = 800;

jest.setTimeout(120_000);

const databases = {} as Record<Engine, ScratchDatabase>;
let workers: SqlWorker[] = [];

beforeAll(async () => {
  for (const engine of ENGINES) databases[engine] = await SCRATCH[engine]('multiprocess');
  workers = await Promise.all(
    Array.from({ length: WORKERS }, () => SqlWorker.start({ SQL_WORKER_LEASE: `${LEASE_MS}ms` })),
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.kill('SIGTERM')));
  for (const database of Object.values(databases)) await database.drop();
});

const runsOf = (key: string) => workers.reduce((sum, worker) => sum + worker.started(key), 0);

describe.each(ENGINES)('%s', (engine: Engine) => {
  it(`computes one key once across ${WORKERS} processes, ${ROUNDS} rounds in a row`, async () => {
    const url = databases[engine].url;
    const duplicates: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const key = `${engine}-round-${round}`;
      const results = await Promise.all(
        workers.map((worker) => worker.call(url, key, 'quick', 150)),
      );
      expect(results.map((result) => result.error)).toEqual(Array(WORKERS).fill(undefined));
      expect(new Set(results.map((result) => result.value)).size).toBe(1);
      if (runsOf(key) !== 1) duplicates.push(`${key}: ${runsOf(key)} runs`);
    }
    expect(duplicates).toEqual([]);
  });
});

describe.each(ENGINES)('%s, calculator killed', (engine: Engine) => {
  it('lets a waiter take over within the lease when the calculating process is SIGKILLed', async () => {
    const url = databases[engine].url;
    const key = `${engine}-killed`;
    // Each engine kills another worker; the waiter is always the first one.
    const victim = workers[WORKERS - 1 - ENGINES.indexOf(engine)];
    const waiter = workers[0];
    void victim.call(url, key, 'hang').catch(() => undefined); // never answers: it is killed
    await victim.next((message) => message.type === 'started' && message.key === key);

    const waiting = waiter.call(url, key, 'quick', 10);
    // The victim renews its mark while alive, so the waiter keeps waiting past one lease.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 1.5));
    expect(waiter.started(key)).toBe(0);

    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    const result = await waiting;
    const recoveredAfter = Date.now() - killedAt;

    expect(result.error).toBeUndefined();
    expect(result.value).toBe(`value of ${key} from ${waiter.child.pid}`);
    expect(waiter.started(key)).toBe(1);
    expect(recoveredAfter).toBeLessThan(LEASE_MS * 2.5);
  });
});

describe('postgres, connections terminated by the server mid-calculation', () => {
  it('no call hangs: the calculator and a waiter in another process both get the value', async () => {
    const { url, name } = databases.postgres;
    const key = 'terminated';
    const [calculator, waiter] = workers;
    const calculating = calculator.call(url, key, 'quick', 2_000);
    let calculated = false;
    void calculating.then(() => {
      calculated = true;
    });
    await calculator.next((message) => message.type === 'started' && message.key === key);
    const waiting = waiter.call(url, key, 'quick', 10);

    // Both processes connected (the waiter waits on the calculator's mark by then): the kill
    // must hit the waiter too, not only the calculator.
    const memoirConnections = `FROM pg_stat_activity WHERE datname = ? AND application_name = 'memoir'`;
    const waitedSince = Date.now();
    for (;;) {
      const [{ n }] = await rawQuery(
        databases.postgres,
        `SELECT count(*)::int AS n ${memoirConnections}`,
        [name],
      );
      if ((n as number) >= 2 || Date.now() - waitedSince > 10_000) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Every memoir connection to this database: pools, the listeners, idle and busy alike.
    const killed = await rawQuery(
      databases.postgres,
      `SELECT pg_terminate_backend(pid) AS gone ${memoirConnections}`,
      [name],
    );
    expect(killed.length).toBeGreaterThanOrEqual(2);
    expect(calculated).toBe(false); // the kill landed mid-calculation

    const [first, second] = await Promise.all([calculating, waiting]);
    expect(first.error).toBeUndefined();
    expect(first.value).toBe(`value of ${key} from ${calculator.child.pid}`);
    expect(second.error).toBeUndefined();
    expect(second.value).toBe(first.value);
    expect(runsOf(key)).toBe(1);

    // The pools reconnected: the entry was stored, and a third process hits it.
    const third = await workers[2].call(url, key, 'quick', 10);
    expect(third.value).toBe(first.value);
    expect(runsOf(key)).toBe(1);
  });
});
