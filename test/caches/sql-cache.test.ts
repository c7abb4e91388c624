import { closeConnections, SqlCache } from '../../lib';
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
