import * as net from 'node:net';
import { createSqlCore } from '../../../backends/sql';
import type { Engine } from '../../../backends/sql/source';
import type { Core, CoreEvent } from '../../../lib/contract';
import { closeConnections } from '../../../lib';
import { MemoirError } from '../../../lib/errors';
import { ENGINES, rawQuery, SCRATCH, type ScratchDatabase } from '../../support/sql-databases';

/**
 * The SQL core's own regressions, on each real engine: what the shared contract does not
 * cover (the table it shares with others, stored text, damaged rows, clocks, batches).
 */
let counter = 0;
const uniqueName = (label: string) => `${label}-${process.pid}-${counter++}`;

describe.each(ENGINES)('sql core on %s', (engine: Engine) => {
  let database: ScratchDatabase;
  const events: Array<Omit<CoreEvent, 'cache'>> = [];
  const open = (name = uniqueName('core'), options: Record<string, unknown> = {}): Core =>
    createSqlCore({
      name,
      options: { sql: database.url, ...options },
      report: (event) => events.push(event),
    });

  beforeAll(async () => {
    database = await SCRATCH[engine]('core');
  });
  afterAll(async () => {
    await closeConnections();
    await database.drop();
  });
  beforeEach(() => {
    events.length = 0;
  });

  it('clears by equality on the name: a LIKE-lookalike, a foreign row and a user table survive', async () => {
    const core = open('rep_rt%');
    await core.write('k', 1, { time: Date.now() });
    // Names a LIKE 'rep_rt%' pattern would match, and a row another program wrote.
    const lookalike = open('report-x');
    await lookalike.write('k', 2, { time: Date.now() });
    await rawQuery(
      database,
      'INSERT INTO memoir_entries (func, entry_key, value, stored_at) VALUES (?, ?, NULL, 0)',
      ['someone-else', 'their-row'],
    );
    await rawQuery(database, 'CREATE TABLE user_orders (id INTEGER PRIMARY KEY, func VARCHAR(20))');
    await rawQuery(database, 'INSERT INTO user_orders (id, func) VALUES (1, ?)', ['rep_rt%']);

    await core.clear();

    expect(await core.keys()).toEqual([]);
    expect((await lookalike.get('k'))?.value).toBe(2);
    const foreign = await rawQuery(database, 'SELECT func FROM memoir_entries WHERE func = ?', [
      'someone-else',
    ]);
    expect(foreign).toHaveLength(1);
    expect(await rawQuery(database, 'SELECT id FROM user_orders')).toHaveLength(1);
  });

  it('keeps its entries in the table it is given, created on first use', async () => {
    const core = open(uniqueName('custom-table'), { table: 'memo_custom' });
    await core.write('k', 'in custom', { time: Date.now() });
    const rows = await rawQuery(database, 'SELECT entry_key FROM memo_custom');
    expect(rows).toHaveLength(1);
    expect((await core.get('k'))?.value).toBe('in custom');
  });

  it('refuses a table of that name that is not memoir’s, and names it', async () => {
    await rawQuery(database, 'CREATE TABLE not_memoir (id INTEGER PRIMARY KEY, note TEXT)');
    const core = open(uniqueName('wrong-table'), { table: 'not_memoir' });
    const failure = await core.get('k').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MemoirError);
    expect((failure as MemoirError).code).toBe('BACKEND_ERROR');
    expect((failure as Error).message).toMatch(/not_memoir.*memoir's columns/);
  });

  it('stores keys the engines cannot hold as text apart: NUL, lone surrogates, the escape marker', async () => {
    const core = open();
    const keys = ['\u0000a', '\u0000b', '\uD800', '\uDBFF', '\u0001x', 'x', '😀'];
    for (const [i, key] of keys.entries()) await core.write(key, i, { time: Date.now() });
    for (const [i, key] of keys.entries()) expect((await core.get(key))?.value).toBe(i);
    expect((await core.keys()).sort()).toEqual([...keys].sort());
  });

  it('refuses a key longer than the primary key can hold instead of cutting it short', async () => {
    const core = open();
    const failure = await core.write('k'.repeat(3000), 1, { time: 0 }).catch((e: unknown) => e);
    expect((failure as MemoirError).code).toBe('INVALID_KEY');
    await expect(core.get('k'.repeat(2048))).resolves.toBeUndefined();
  });

  it('treats an unreadable value as a miss, reports it once, and lets a write repair it', async () => {
    const name = uniqueName('corrupt');
    const core = open(name);
    await core.write('bad', 'fine', { time: Date.now() });
    await rawQuery(database, 'UPDATE memoir_entries SET value = ? WHERE func = ?', [
      Buffer.from([0xff, 0x00, 0x13]),
      name,
    ]);
    expect(await core.get('bad')).toBeUndefined();
    expect(await core.get('bad')).toBeUndefined();
    expect(events.filter((event) => event.type === 'corrupt-entry')).toHaveLength(1);
    expect(events[0].message).toMatch(/unreadable/);
    const outcome = await core.acquire('bad', {
      owner: 'A',
      now: Date.now(),
      leaseUntil: Date.now() + 5_000,
    });
    expect(outcome).toMatchObject({ acquired: true, entry: { completed: false } });
    await core.write('bad', 'repaired', { time: Date.now(), owner: 'A' });
    expect((await core.get('bad'))?.value).toBe('repaired');
  });

  it('reports marks on the caller’s clock, so a frozen test clock still sees a lease end', async () => {
    const name = uniqueName('clock');
    const FROZEN = 1_600_000_000_000;
    const holder = open(name);
    const frozen = open(name, { clock: () => FROZEN });
    const now = Date.now();
    await holder.acquire('k', { owner: 'holder', now, leaseUntil: now + 300 });

    const live = (await frozen.get('k'))?.processing;
    expect(live?.owner).toBe('holder');
    // About 300 ms left, seen from a clock stopped years ago.
    expect(live!.leaseUntil - FROZEN).toBeGreaterThan(150);
    expect(live!.leaseUntil - FROZEN).toBeLessThanOrEqual(300);

    await new Promise((resolve) => setTimeout(resolve, 350));
    const dead = (await frozen.get('k'))?.processing;
    expect(dead!.leaseUntil).toBeLessThanOrEqual(FROZEN);
    const takeover = await frozen.acquire('k', {
      owner: 'frozen',
      now: FROZEN,
      leaseUntil: FROZEN + 10_000,
    });
    expect(takeover.acquired).toBe(true);
  });

  it('reads every field of a row back: a plain hit, a promised value, a mark (owner with spaces) over a value', async () => {
    const core = open();
    const time = Date.now() - 1_000;
    await core.write('plain', { n: 1 }, { time });
    await core.write('promised', 'later', { time, promised: true });
    await core.write('marked', [1, 2], { time });
    const now = Date.now();
    const owner = 'host name: 12 3  x';
    await core.acquire('marked', { owner, now, leaseUntil: now + 5_000 });
    await core.acquire('placeholder', { owner: 'p q', now, leaseUntil: now + 5_000 });
    await core.write('promised, marked', 'soon', { time, promised: true });
    // An injected clock may start at zero: a stored time before 1970 reads back as it was.
    await core.write('promised in 1969', 'then', { time: -5_000, promised: true });
    await core.acquire('promised, marked', { owner: 'o', now, leaseUntil: now + 5_000 });

    expect(await core.get('plain')).toEqual({ value: { n: 1 }, time, completed: true });
    expect(await core.get('promised')).toEqual({
      value: 'later',
      time,
      completed: true,
      promised: true,
    });
    const marked = await core.get('marked');
    expect(marked).toMatchObject({ value: [1, 2], time, completed: true });
    expect(marked?.processing?.owner).toBe(owner);
    expect(marked!.processing!.leaseUntil - marked!.processing!.since).toBe(5_000);
    expect(Math.abs(marked!.processing!.since - now)).toBeLessThan(1_000);
    expect(await core.get('promised, marked')).toMatchObject({
      value: 'soon',
      time,
      promised: true,
      processing: { owner: 'o' },
    });
    expect(await core.get('promised in 1969')).toEqual({
      value: 'then',
      time: -5_000,
      completed: true,
      promised: true,
    });
    const placeholder = await core.get('placeholder');
    expect(placeholder).toMatchObject({ completed: false, processing: { owner: 'p q' } });
    expect(placeholder).not.toHaveProperty('value');
    expect(await core.get('absent')).toBeUndefined();
  });

  it('does not let deleteStale remove an entry whose refresh is in flight', async () => {
    const core = open();
    const old = Date.now() - 60_000;
    await core.write('refreshing', 1, { time: old });
    await core.write('idle', 2, { time: old });
    await core.acquire('refreshing', {
      owner: 'A',
      now: Date.now(),
      leaseUntil: Date.now() + 10_000,
    });
    expect(await core.deleteStale(Date.now() - 1_000)).toBe(1);
    expect((await core.get('refreshing'))?.processing?.owner).toBe('A');
  });

  it('clears and prunes thousands of entries in batches, and nothing of other functions', async () => {
    const core = open();
    const neighbour = open();
    await neighbour.write('stays', 'here', { time: Date.now() - 60_000 });
    const time = Date.now() - 60_000;
    for (let start = 0; start < 2_500; start += 250) {
      await Promise.all(
        Array.from({ length: 250 }, (_, i) => core.write(`k${start + i}`, start + i, { time })),
      );
    }
    expect(await core.deleteStale(Date.now())).toBe(2_500);
    await core.write('again', 1, { time });
    await core.clear();
    expect(await core.keys()).toEqual([]);
    expect((await neighbour.get('stays'))?.value).toBe('here');
  }, 60_000);
});

describe('sql core on sqlite: an embedded store', () => {
  it('puts the database it opens in WAL mode and answers hits in this process (peek)', async () => {
    const database = await SCRATCH.sqlite('wal');
    try {
      const core = createSqlCore({
        name: uniqueName('wal'),
        options: { sql: database.url },
        report: () => {},
      });
      await core.write('k', 'v', { time: Date.now() });
      // Readers never wait for the writer, and writers of other processes wait a short while.
      expect(await rawQuery(database, 'PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      expect(core.peek?.('k')).toMatchObject({ value: 'v', completed: true });
      expect(core.peek?.('missing')).toBeUndefined();
      await core.acquire('marked', { owner: 'A', now: Date.now(), leaseUntil: Date.now() + 5_000 });
      expect(core.peek?.('marked')).toMatchObject({ completed: false, processing: { owner: 'A' } });
      await core.close?.();
    } finally {
      await closeConnections();
      await database.drop();
    }
  });
});

describe('sql core on postgres: acquire is one statement', () => {
  it('whether it takes the mark or finds another owner’s', async () => {
    const database = await SCRATCH.postgres('acquire');
    const { Pool } = require('pg') as typeof import('pg');
    const pool = new Pool({ connectionString: database.url });
    const statements: string[] = [];
    // memoir queries with a callback, without pg's promise.
    const query = pool.query.bind(pool) as (config: { text: string }, callback: unknown) => void;
    (pool as unknown as { query: typeof query }).query = (config, callback) => {
      statements.push(config.text);
      query(config, callback);
    };
    try {
      const core = createSqlCore({
        name: uniqueName('acquire'),
        options: { sql: pool },
        report: () => {},
      });
      await core.get('warm'); // creates the table, measures the clock offset
      statements.length = 0;
      const now = Date.now();
      const claim = (owner: string) => ({ owner, now, leaseUntil: now + 5_000 });
      expect((await core.acquire('k', claim('A'))).acquired).toBe(true);
      expect(await core.acquire('k', claim('B'))).toMatchObject({
        acquired: false,
        entry: { processing: { owner: 'A' } },
      });
      expect(statements).toHaveLength(2);
      for (const text of statements) expect(text).toMatch(/^WITH claimed AS \(INSERT INTO/);
    } finally {
      await closeConnections();
      await pool.end();
      await database.drop();
    }
  });
});

describe('sql core: closing after the server stopped answering', () => {
  /** A TCP server that accepts connections and never says a word. */
  const sockets: net.Socket[] = [];
  const blackHole = net.createServer((socket) => sockets.push(socket));
  beforeAll(() => new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve)));
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => blackHole.close(resolve));
  });
  const urls = (): Record<Engine, string> => {
    const { port } = blackHole.address() as net.AddressInfo;
    return {
      postgres: `postgres://postgres@127.0.0.1:${port}/none`,
      mysql: `mysql://root@127.0.0.1:${port}/none`,
      // A file that cannot be created: the SQLite connection never opens either.
      sqlite: 'sqlite:///dev/null/memoir/never.db',
    };
  };
  const openCore = (engine: Engine) =>
    createSqlCore({
      name: uniqueName('down'),
      options: { sql: urls()[engine], timeout: 300 },
      report: () => {},
    });

  // A connection that never opened is nothing the caller can act on: close() resolves, also
  // while the pool is still trying to connect.
  it.each(['postgres', 'mysql', 'sqlite'] as Engine[])(
    '%s: close() and closeConnections() resolve, with a call in flight',
    async (engine) => {
      for (const close of [(core: Core) => core.close?.(), () => closeConnections()]) {
        const core = openCore(engine);
        const pending = core.get('k').catch((error: unknown) => error);
        await new Promise((resolve) => setTimeout(resolve, 50));
        await expect(close(core)).resolves.toBeUndefined();
        expect(await pending).toMatchObject({ code: 'BACKEND_ERROR' });
        await expect(core.close?.()).resolves.toBeUndefined();
      }
    },
  );
});

describe('sql core: a handle memoir did not open is never closed', () => {
  it('pg Pool and Client', async () => {
    const database = await SCRATCH.postgres('handles');
    const { Client, Pool } = require('pg') as typeof import('pg');
    const pool = new Pool({ connectionString: database.url });
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      for (const handle of [pool, client]) {
        const core = createSqlCore({
          name: uniqueName('pg-handle'),
          options: { sql: handle },
          report: () => {},
        });
        await core.write('k', 'v', { time: Date.now() });
        expect((await core.get('k'))?.value).toBe('v');
        await core.close?.();
      }
      await closeConnections();
      expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
      expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    } finally {
      await client.end();
      await pool.end();
      await database.drop();
    }
  });

  it('mysql2 pool, callback and promise flavours', async () => {
    const database = await SCRATCH.mysql('handles');
    const mysql = require('mysql2') as typeof import('mysql2');
    const pool = mysql.createPool({ uri: database.url });
    const promisePool = require('mysql2/promise').createPool({ uri: database.url });
    try {
      for (const handle of [pool, promisePool]) {
        const core = createSqlCore({
          name: uniqueName('mysql-handle'),
          options: { sql: handle },
          report: () => {},
        });
        await core.write('k', 'v', { time: Date.now() });
        expect((await core.get('k'))?.value).toBe('v');
        await core.close?.();
      }
      await closeConnections();
      const [rows] = await pool.promise().query('SELECT 1 AS one');
      expect((rows as Array<{ one: number }>)[0].one).toBe(1);
      const [more] = await promisePool.query('SELECT 1 AS one');
      expect(more[0].one).toBe(1);
    } finally {
      await pool.promise().end();
      await promisePool.end();
      await database.drop();
    }
  });

  it('better-sqlite3 Database', async () => {
    const database = await SCRATCH.sqlite('handles');
    const Sqlite = require('better-sqlite3') as typeof import('better-sqlite3');
    const db = new Sqlite(database.name);
    try {
      const core = createSqlCore({
        name: uniqueName('sqlite-handle'),
        options: { sql: db },
        report: () => {},
      });
      await core.write('k', 'v', { time: Date.now() });
      expect((await core.get('k'))?.value).toBe('v');
      await core.close?.();
      await closeConnections();
      expect(db.open).toBe(true);
      expect(db.prepare('SELECT count(*) AS n FROM memoir_entries').get()).toEqual({ n: 1 });
    } finally {
      db.close();
      await database.drop();
    }
  });
});

describe('sql core on postgres: change notifications', () => {
  let database: ScratchDatabase;
  beforeAll(async () => {
    database = await SCRATCH.postgres('notify');
  });
  afterAll(async () => {
    await closeConnections();
    await database.drop();
  });

  it('wakes a waiter as soon as another connection writes the key, or clears the function', async () => {
    const name = uniqueName('notify');
    const waiter = createSqlCore({ name, options: { sql: database.url }, report: () => {} });
    // Another connection (a pool of the user's): the notification travels through the server.
    const { Pool } = require('pg') as typeof import('pg');
    const pool = new Pool({ connectionString: database.url });
    const writer = createSqlCore({ name, options: { sql: pool }, report: () => {} });
    try {
      await waiter.get('k'); // connects and creates the table
      // The first wait starts the listener. A write committed before LISTEN takes effect is
      // never notified, so a waiter that came earlier is woken once LISTEN is confirmed.
      const listening = Date.now();
      await waiter.waitForChange!('k', 20_000);
      expect(Date.now() - listening).toBeLessThan(10_000);
      for (const change of [
        () => writer.write('k', 'done', { time: Date.now() }),
        () => writer.clear(),
      ]) {
        const started = Date.now();
        const woken = waiter.waitForChange!('k', 5_000);
        await new Promise((resolve) => setTimeout(resolve, 20));
        await change();
        await woken;
        expect(Date.now() - started).toBeLessThan(1_000);
      }
    } finally {
      await pool.end();
    }
  });
});
