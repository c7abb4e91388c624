import { execFile } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Engine } from '../../../backends/sql/source';
import { cached } from '../../../lib/cached';
import { resetGlobalParams, setGlobalParams } from '../../../lib/config';
import { closeConnections } from '../../../lib';
import { MemoirError } from '../../../lib/errors';
import type { MemoirEvent } from '../../../lib/contract';
import { ENGINES, rawQuery, SCRATCH, type ScratchDatabase } from '../../support/sql-databases';

/**
 * `cached(fn, { backend: 'sql' })` end to end on each real engine: what a user sees, from
 * decoration-time validation to a server that refuses connections or never answers.
 */
let counter = 0;
const uniqueName = (label: string) => `${label}-${process.pid}-${counter++}`;
const silent = { debug: () => {}, warn: () => {} };

afterEach(() => resetGlobalParams());

describe.each(ENGINES)('cached on sql (%s)', (engine: Engine) => {
  let database: ScratchDatabase;
  beforeAll(async () => {
    database = await SCRATCH[engine]('engine');
  });
  afterAll(async () => {
    await closeConnections();
    await database.drop();
  });

  it('computes once, then hits; a sync function answers with a Promise', async () => {
    let runs = 0;
    const area = cached(
      (w: number, h: number) => {
        runs++;
        return { area: w * h, at: new Date(0) };
      },
      { name: uniqueName('area'), backend: 'sql', sql: database.url },
    );
    const first = area(2, 3);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toEqual({ area: 6, at: new Date(0) });
    expect(await area(2, 3)).toEqual({ area: 6, at: new Date(0) });
    expect(runs).toBe(1);
    expect(area.stats()).toMatchObject({ hits: 1, misses: 1 });
    expect(await area.isCached(2, 3)).toBe(true);
    await area.invalidate(2, 3);
    expect(await area.peek(2, 3)).toBeUndefined();
  });

  it('clearCache removes this function’s entries only', async () => {
    const name = uniqueName('clearing');
    const mine = cached(async (x: number) => x * 2, { name, backend: 'sql', sql: database.url });
    const theirs = cached(async (x: number) => x * 3, {
      name: `${name}-other`,
      backend: 'sql',
      sql: database.url,
    });
    await mine(1);
    await mine(2);
    await theirs(1);
    await mine.clearCache();
    expect(await mine.isCached(1)).toBe(false);
    expect(await theirs.isCached(1)).toBe(true);
  });

  it('peek and isCached right after an un-awaited clearCache() read what a call reads: nothing', async () => {
    const f = cached(async (x: number) => x * 2, { name: uniqueName('peek-after-clear'), backend: 'sql', sql: database.url });
    await f(1);
    expect(await f.peek(1)).toBe(2);
    const clearing = f.clearCache();
    const [peeked, isCached] = await Promise.all([f.peek(1), f.isCached(1)]);
    expect([peeked, isCached]).toEqual([undefined, false]);
    await clearing;
  });

  it('a key longer than the table holds rejects that call with INVALID_KEY; every other key keeps its cache', async () => {
    let runs = 0;
    const events: MemoirEvent[] = [];
    const f = cached(
      async (id: string) => {
        runs++;
        return id.length;
      },
      { name: uniqueName('long-key'), backend: 'sql', sql: database.url, hashFunc: (args) => String(args[0]), logger: silent, onEvent: (event) => events.push(event) },
    );
    await f('a');
    await expect(f('x'.repeat(3_000))).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await f('a');
    await f('b');
    await f('b');
    expect(runs).toBe(2); // 'a' once, 'b' once: the long key opened no circuit breaker
    expect(f.stats().backendErrors).toBe(0);
    expect(events.filter((event) => event.type === 'backend-error')).toEqual([]);
  });

  it('takes its URL and table from the global parameters', async () => {
    setGlobalParams({ backend: 'sql', sql: database.url, table: 'memoir_global' });
    const twice = cached(async (x: number) => x * 2, { name: uniqueName('global') });
    expect(await twice(21)).toBe(42);
    expect(await rawQuery(database, 'SELECT entry_key FROM memoir_global')).toHaveLength(1);
  });

  it('judges staleness by the caller’s clock, as on every backend', async () => {
    let now = Date.now();
    let runs = 0;
    const fn = cached(async () => ++runs, {
      name: uniqueName('stale'),
      backend: 'sql',
      sql: database.url,
      staleAfter: '1h',
      clock: () => now,
    });
    expect(await fn()).toBe(1);
    now += 30 * 60_000;
    expect(await fn()).toBe(1);
    now += 31 * 60_000;
    expect(await fn()).toBe(2);
  });
});

describe('sql options are checked when a function is decorated', () => {
  const decorate = (options: Record<string, unknown>) => () =>
    cached(async () => 1, { name: 'checked', backend: 'sql', ...options });
  const refused = (options: Record<string, unknown>, message: RegExp) => {
    let error: unknown;
    try {
      decorate(options)();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MemoirError);
    expect((error as MemoirError).code).toBe('INVALID_OPTION');
    expect((error as Error).message).toMatch(message);
  };

  it('needs sql, as mongo needs mongetter', () =>
    refused({}, /"sql".*postgres:\/\/.*better-sqlite3/));
  it('refuses an unknown scheme or a relative sqlite path', () => {
    refused({ sql: 'redis://127.0.0.1' }, /"sql"/);
    refused({ sql: 'sqlite://relative.db' }, /"sql"/);
    refused({ sql: { not: 'a handle' } }, /"sql"/);
  });
  it('refuses a table name that is not a plain identifier', () => {
    refused({ sql: 'sqlite::memory:', table: 'entries; DROP TABLE users' }, /"table"/);
    refused({ sql: 'sqlite::memory:', table: 'a.b.c' }, /"table"/);
  });
  it('refuses a timeout that is not a positive duration', () => {
    refused({ sql: 'sqlite::memory:', timeout: 'soon' }, /"timeout"/);
    refused({ sql: 'sqlite::memory:', timeout: 0 }, /"timeout"/);
  });
  it('accepts every documented URL form', () => {
    for (const sql of [
      'postgres://u@h/db',
      'postgresql://u@h/db',
      'mysql://u@h/db',
      'mariadb://u@h/db',
      'sqlite:///tmp/x.db',
      'sqlite::memory:',
    ]) {
      expect(decorate({ sql, table: 'schema1.entries', timeout: '2s' })).not.toThrow();
    }
  });
});

describe('a database that is down', () => {
  /** A TCP server that accepts connections and never says a word. */
  let blackHole: net.Server;
  const sockets: net.Socket[] = [];
  let silentPort = 0;
  beforeAll(async () => {
    blackHole = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    silentPort = (blackHole.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await closeConnections();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => blackHole.close(resolve));
  });

  const servers = (port: number) => [
    `postgres://postgres@127.0.0.1:${port}/none`,
    `mysql://root@127.0.0.1:${port}/none`,
  ];

  it.each(['refuses connections', 'never answers'])(
    'that %s: the function still answers, within the timeout, reported once',
    async (how) => {
      const port = how === 'refuses connections' ? 1 : silentPort;
      for (const sql of servers(port)) {
        const events: MemoirEvent[] = [];
        let runs = 0;
        const fn = cached(async (x: number) => x + ++runs * 0, {
          name: uniqueName('down'),
          backend: 'sql',
          sql,
          timeout: '300ms',
          logger: silent,
          onEvent: (event) => events.push(event),
        });
        const started = Date.now();
        expect(await fn(1)).toBe(1);
        expect(await fn(2)).toBe(2);
        expect(Date.now() - started).toBeLessThan(2 * 300 + 1_500);
        expect(runs).toBe(2);
        expect(events.filter((event) => event.type === 'backend-error')).toHaveLength(1);
      }
    },
  );

  it("rejects with BACKEND_ERROR under onBackendError: 'throw'", async () => {
    for (const sql of servers(silentPort)) {
      const fn = cached(async () => 'value', {
        name: uniqueName('throwing'),
        backend: 'sql',
        sql,
        timeout: '200ms',
        onBackendError: 'throw',
        logger: silent,
      });
      const error = await fn().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(MemoirError);
      expect((error as MemoirError).code).toBe('BACKEND_ERROR');
      expect((error as Error).message).toMatch(/did not answer within 200 ms|timeout|ETIMEDOUT/i);
    }
  });

  /**
   * A call's tries after lost connections share its one `timeout`: a connect that timed out is
   * never tried again, and a connection dropped late leaves its retry only the time left.
   * (Slack for the deadline sweeper's tick and a loaded machine; three tries took 3×.)
   */
  const TIMEOUT_MS = 300;
  const WITHIN_MS = TIMEOUT_MS + 250;

  it.each(['never answers', 'drops each connection after 250 ms'])(
    'that %s: no call waits past its timeout, retries included',
    async (how) => {
      // The backend and its drivers load on the first call: not part of what is measured.
      require('../../../backends/sql');
      require('pg');
      require('mysql2');
      let port = silentPort;
      let dropper: net.Server | undefined;
      if (how !== 'never answers') {
        dropper = net.createServer((socket) => {
          setTimeout(() => socket.destroy(), 250);
        });
        await new Promise<void>((resolve) => dropper?.listen(0, '127.0.0.1', resolve));
        port = (dropper.address() as net.AddressInfo).port;
      }
      try {
        for (const sql of servers(port)) {
          for (const onBackendError of ['fallback', 'throw'] as const) {
            const fn = cached(async (x: number) => x, {
              name: uniqueName('bounded'),
              backend: 'sql',
              sql,
              timeout: TIMEOUT_MS,
              onBackendError,
              logger: silent,
            });
            const started = Date.now();
            const outcome = await fn(1).catch((error: MemoirError) => error.code);
            expect([sql, onBackendError, outcome]).toEqual([
              sql,
              onBackendError,
              onBackendError === 'throw' ? 'BACKEND_ERROR' : 1,
            ]);
            expect(Date.now() - started).toBeLessThan(WITHIN_MS);
          }
        }
      } finally {
        await closeConnections();
        await new Promise((resolve) => dropper?.close(resolve) ?? resolve(undefined));
      }
    },
  );

  it('a SQLite file locked by another process for longer than the timeout: the call goes on, the event loop never blocks', async () => {
    const database = await SCRATCH.sqlite('locked');
    const Sqlite = require('better-sqlite3') as typeof import('better-sqlite3');
    const locker = new Sqlite(database.name);
    try {
      const fn = cached(async (x: number) => x * 2, {
        name: uniqueName('locked'),
        backend: 'sql',
        sql: database.url,
        timeout: '400ms',
        logger: silent,
      });
      expect(await fn(1)).toBe(2); // creates the table
      locker.exec('BEGIN EXCLUSIVE');
      // The longest stretch without a tick: a loop blocked on the lock would not tick until the
      // 400 ms timeout ran out. A loaded machine delays ticks (a count of them would judge the
      // scheduler, not memoir), yet never by anything near that.
      let last = performance.now();
      let longestGap = 0;
      const tick = () => {
        const now = performance.now();
        longestGap = Math.max(longestGap, now - last);
        last = now;
      };
      const ticker = setInterval(tick, 10);
      const started = Date.now();
      expect(await fn(3)).toBe(6);
      tick();
      clearInterval(ticker);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300); // the lock was waited for
      expect(Date.now() - started).toBeLessThan(400 + 1_500);
      expect(longestGap).toBeLessThan(200);
    } finally {
      locker.close();
      await closeConnections();
      await database.drop();
    }
  });
});

describe('a statement held up by a lock another session holds', () => {
  /**
   * The connection is up and the server answers, but memoir's statement waits on a table lock
   * of another session: only the statement timeout ends the wait. On PostgreSQL through the
   * user's own pool, which sets no server-side statement_timeout: memoir's bound alone acts.
   */
  async function holdTable(database: ScratchDatabase): Promise<() => Promise<void>> {
    if (database.engine === 'postgres') {
      const { Client } = require('pg') as typeof import('pg');
      const locker = new Client({ connectionString: database.url });
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE memoir_entries IN ACCESS EXCLUSIVE MODE');
      return async () => {
        await locker.query('ROLLBACK');
        await locker.end();
      };
    }
    const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
    const locker = await mysql.createConnection({ uri: database.url });
    await locker.query('LOCK TABLES memoir_entries WRITE');
    return async () => {
      await locker.query('UNLOCK TABLES');
      await locker.end();
    };
  }

  it.each(['postgres', 'mysql'] as const)(
    '%s: the call answers within the timeout, reported once',
    async (engine) => {
      const database = await SCRATCH[engine]('held');
      const { Pool } = require('pg') as typeof import('pg');
      const pool = engine === 'postgres' ? new Pool({ connectionString: database.url }) : undefined;
      let release: (() => Promise<void>) | undefined;
      try {
        const events: MemoirEvent[] = [];
        let runs = 0;
        const fn = cached(async (x: number) => x * 2 + ++runs * 0, {
          name: uniqueName('held'),
          backend: 'sql',
          sql: pool ?? database.url,
          timeout: '300ms',
          logger: silent,
          onEvent: (event) => events.push(event),
        });
        expect(await fn(1)).toBe(2); // creates the table, stores the entry
        release = await holdTable(database);
        const started = Date.now();
        expect(await fn(1)).toBe(2); // the lookup waits on the lock until the timeout
        expect(Date.now() - started).toBeLessThan(300 + 1_500);
        expect(runs).toBe(2);
        const reports = events.filter((event) => event.type === 'backend-error');
        expect(reports).toHaveLength(1);
        expect(reports[0].message).toMatch(/within 300 ms/);
      } finally {
        await release?.();
        await closeConnections();
        await pool?.end();
        await database.drop();
      }
    },
  );
});

describe('idle connections', () => {
  it('do not keep a process alive once its calls are done', async () => {
    const [postgres, mysql, sqlite] = await Promise.all([
      SCRATCH.postgres('idle'),
      SCRATCH.mysql('idle'),
      SCRATCH.sqlite('idle'),
    ]);
    const script = path.join(__dirname, '../../support/sql-idle-child.ts');
    const tsx = path.join(__dirname, '../../../node_modules/.bin/tsx');
    try {
      const started = Date.now();
      const output = await new Promise<string>((resolve, reject) =>
        execFile(
          tsx,
          [script, postgres.url, mysql.url, sqlite.url],
          { timeout: 20_000 },
          (error, stdout, stderr) =>
            error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
        ),
      );
      expect(output.trim()).toBe('42 42 42');
      // The child exits on its own; a pool holding it open would run into the 20 s kill.
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await Promise.all([postgres.drop(), mysql.drop(), sqlite.drop()]);
    }
  }, 30_000);
});
