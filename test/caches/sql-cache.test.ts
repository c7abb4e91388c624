import * as net from 'node:net';
import { closeConnections, MemoirError, SqlCache } from '../../lib';
import type { CacheOptions, KeyValueCache } from '../../lib/contract';
import { describeCacheContract } from '../../lib/testing/cache-contract';
import { ENGINES, rawQuery, SCRATCH, type ScratchDatabase } from '../support/sql-databases';

/**
 * SqlCache: the shared contract on PostgreSQL, MariaDB and SQLite (real servers, scratch
 * databases), through memoir's own connections from a URL. Expiry is the database's clock, so
 * ttls are real short ones; then what only SQL can show: the rows another program reads.
 */
jest.setTimeout(60_000);

const databases = new Map<string, ScratchDatabase>();

for (const engine of ENGINES) {
  beforeAll(async () => {
    databases.set(engine, await SCRATCH[engine]('kv'));
  });

  describeCacheContract(`sql (${engine})`, (options: CacheOptions) => new SqlCache({ ...options, sql: databases.get(engine)!.url }), {
    realTtlMs: 300,
    raw: async (cache: KeyValueCache) => {
      await cache.set('n', 7);
      const result = (await cache.raw('SELECT num FROM memoir_kv WHERE ns = ? AND k = ?', cache.namespace, `${cache.namespace}:n`)) as {
        rows: Array<{ num: unknown }>;
      };
      expect(result.rows.map((row) => Number(row.num))).toEqual([7]);
    },
  });
}

afterAll(async () => {
  await closeConnections();
  for (const database of databases.values()) await database.drop();
});

describe.each(ENGINES)('sql (%s): what another program reads', (engine) => {
  it('an integer is a plain BIGINT it can add to; text is UTF-8; a ttl is an expiry on the database clock', async () => {
    const database = databases.get(engine)!;
    const cache = new SqlCache({ sql: database.url, namespace: 'shared', serializer: 'string' });
    await cache.set('visits', 41);
    await cache.increment('visits');
    await cache.set('greeting', 'grüß dich', { ttl: '1h' });
    const rows = await rawQuery(database, "SELECT k, t, num, exp FROM memoir_kv WHERE ns = ? AND kind = 'v' ORDER BY k", ['shared']);
    expect(rows.map((row) => [String(row.k), Number(row.t)])).toEqual([
      ['shared:greeting', 2],
      ['shared:visits', 3],
    ]);
    expect(Number(rows[1].num)).toBe(42);
    expect(Number(rows[0].exp) - Date.now()).toBeGreaterThan(3_500_000);
    await rawQuery(database, "UPDATE memoir_kv SET num = num + 8 WHERE ns = ? AND kind = 'v' AND k = ?", ['shared', 'shared:visits']);
    expect(await cache.get('visits')).toBe('50');
    expect(await cache.increment('visits')).toBe(51);
    await cache.clear();
    await cache.close();
  });
});

describe('sql (postgres): lock waiters', () => {
  it('a release wakes a waiter on another connection through NOTIFY, not by polling', async () => {
    const { createSqlStore } = require('../../backends/sql/kv-store') as typeof import('../../backends/sql/kv-store');
    const url = databases.get('postgres')!.url;
    const spec = (sql: string) => ({ namespace: 'notify', clock: Date.now, timeout: 5_000, options: { sql }, report: () => undefined });
    const holder = createSqlStore(spec(url));
    // Another pool and listening connection, as in another process.
    const waiter = createSqlStore(spec(`${url}?application_name=memoir_lock_waiter`));
    try {
      expect(waiter.waitForUnlock).toBeDefined();
      // The waiter's LISTEN starts with its first wait, on a connection of its own. A release
      // committed before LISTEN takes effect is never notified, so that first wait ends once
      // LISTEN is confirmed, far ahead of its bound (the waiter then tries the lock again).
      const listening = Date.now();
      await waiter.waitForUnlock!('notify:job', 20_000);
      expect(Date.now() - listening).toBeLessThan(10_000);
      // Listening now: only the release's notification ends this wait before its 20 s bound.
      expect(await holder.tryLock('notify:job', 'owner-1', 10_000)).toBe(true);
      const started = Date.now();
      const waiting = waiter.waitForUnlock!('notify:job', 20_000);
      expect(await holder.unlock('notify:job', 'owner-1')).toBe(true);
      await waiting;
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await holder.close();
      await waiter.close();
    }
  });
});

describe.each(ENGINES)('sql (%s): multiSet', (engine) => {
  it('keeps the last value of a key given twice, as every backend does', async () => {
    // The upserts go out in parallel over the pool: with many pairs a race shows at once.
    const cache = new SqlCache({ sql: databases.get(engine)!.url, namespace: 'twice', serializer: 'string' });
    try {
      const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
      await cache.multiSet(keys.flatMap((key) => [[key, 'first'], [key, 'second']] as Array<[string, string]>));
      expect(await cache.multiGet(keys)).toEqual(keys.map(() => 'second'));
    } finally {
      await cache.clear();
      await cache.close();
    }
  });
});

describe('sql: a server that stopped answering', () => {
  it('commands reject with TIMEOUT within their timeout, and close() still resolves', async () => {
    /** A TCP server that accepts connections and never says a word. */
    const sockets: net.Socket[] = [];
    const blackHole = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const { port } = blackHole.address() as net.AddressInfo;
    // Slack for the deadline sweeper's tick and a loaded machine.
    const within = (ms: number) => ms + 250;
    const down = async (sql: string) => {
      const cache = new SqlCache({ sql, timeout: 300, serializer: 'string' });
      const commands: Array<[string, number, () => Promise<unknown>]> = [
        ['get', 300, () => cache.get('k')],
        ['get { timeout }', 150, () => cache.get('k', { timeout: 150 })],
        ['set', 300, () => cache.set('k', 'v')],
        ['multiSet', 300, () => cache.multiSet([['k', 'v']])],
        ['multiGet', 300, () => cache.multiGet(['k'])],
        ['increment', 300, () => cache.increment('n')],
        ['delete', 300, () => cache.delete('k')],
      ];
      const outcomes = await Promise.all(
        commands.map(async ([name, ms, command]) => {
          const started = Date.now();
          const error = await command().catch((caught: unknown) => caught);
          const code = error instanceof MemoirError ? error.code : error;
          return [name, code, Date.now() - started < within(ms)];
        }),
      );
      expect(outcomes).toEqual(commands.map(([name]) => [name, 'TIMEOUT', true]));
      // Its pool is still connecting to the silent server: closing must not fail on that.
      await expect(cache.close()).resolves.toBeUndefined();
    };
    try {
      await Promise.all([down(`postgres://postgres@127.0.0.1:${port}/none`), down(`mysql://root@127.0.0.1:${port}/none`)]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackHole.close(resolve));
    }
  });
});
