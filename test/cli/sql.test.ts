import * as fs from 'node:fs';
import * as path from 'node:path';
import { createSqlCore } from '../../backends/sql';
import { cached, defaultKey } from '../../lib';
import { closeConnections } from '../../lib';
import { ENGINES, rawQuery, SCRATCH, type ScratchDatabase } from '../support/sql-databases';
import { ensureBuiltCli, runCli, tempDir } from './harness';

/**
 * The `memoir` CLI end to end on a SQL table, on each real engine: caches filled by real
 * memoized functions, the built dist/cli.js run as a child process with --sql (and --table).
 */
jest.setTimeout(60_000);

beforeAll(() => ensureBuiltCli(), 90_000);
afterAll(() => closeConnections());

describe.each(ENGINES)('memoir --sql on %s', (engine) => {
  let database: ScratchDatabase;
  const TABLE = 'cli_entries';
  beforeAll(async () => {
    database = await SCRATCH[engine]('cli');
  });
  afterAll(async () => {
    await closeConnections();
    await database.drop();
  });

  const memoir = (...args: string[]) => runCli([...args, '--sql', database.url, '--table', TABLE]);

  /** A memoized function on the table, with 4 entries stored. */
  async function fillArea(name: string) {
    const area = cached((w: number, h: number) => ({ area: w * h }), {
      name,
      backend: 'sql',
      sql: database.url,
      table: TABLE,
    });
    for (let w = 1; w <= 4; w++) await area(w, 2);
    return area;
  }

  test('list, inspect, clear-being-calculated, prune and clear', async () => {
    const area = await fillArea('sql-area');
    await fillArea('sql-other');
    const core = createSqlCore({
      name: 'sql-area',
      options: { sql: database.url, table: TABLE },
      report: () => {},
    });
    const now = Date.now();
    await core.acquire('in-flight', { owner: 'worker-7', now, leaseUntil: now + 60_000 });
    await core.write(area.keyFor(1, 2), { area: 2 }, { time: now - 3 * 86_400_000 });

    const list = await memoir('list', '--json');
    expect(list.code).toBe(0);
    expect(list.json.location).toContain(`table ${TABLE}`);
    expect(list.json.caches.map((each: { name: string }) => each.name)).toEqual([
      'sql-area',
      'sql-other',
    ]);
    expect(list.json.caches[0]).toMatchObject({
      layout: 'sql',
      entries: 5,
      completed: 4,
      deadMarks: 0,
    });
    expect(list.json.caches[0].bytes).toBeGreaterThan(0);
    expect(list.json.caches[0].liveMarks).toEqual([
      expect.objectContaining({ key: 'in-flight', owner: 'worker-7' }),
    ]);
    // Entry times come back on this machine's clock, as the function stored them: exactly on
    // SQLite (one clock), within the two processes' offset measurements on a server.
    const skew = Math.abs(list.json.caches[0].oldest - (now - 3 * 86_400_000));
    expect(skew).toBeLessThanOrEqual(engine === 'sqlite' ? 0 : 5);
    const human = await memoir('list');
    expect(human.stdout).toMatch(/sql-area\s+5\s/);
    expect(human.stdout).toContain('worker-7');

    const inspect = await memoir('inspect', 'sql-area', '--args', '[2, 2]', '--json');
    expect(inspect.code).toBe(0);
    expect(inspect.json.entries).toEqual([
      expect.objectContaining({
        key: defaultKey([2, 2]),
        completed: true,
        rendered: '{ area: 4 }',
      }),
    ]);

    const marks = await memoir('clear-being-calculated', 'sql-area', '--json');
    expect(marks.json).toMatchObject({ cache: 'sql-area', cleared: 1 });
    const pruned = await memoir('prune', 'sql-area', '--older-than', '2d', '--json');
    expect(pruned.json).toMatchObject({ removed: 1 });
    expect(await area.isCached(1, 2)).toBe(false);
    expect(await area.isCached(2, 2)).toBe(true);

    const cleared = await memoir('clear', 'sql-area', '--json');
    expect(cleared.json).toMatchObject({ removed: 3 });
    const others = await rawQuery(database, `SELECT entry_key FROM ${TABLE} WHERE func = ?`, [
      'sql-other',
    ]);
    expect(others).toHaveLength(4);
    await core.close?.();
  });

  test('precache stores values the memoized function then hits', async () => {
    const dir = tempDir('sql');
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
      const body = jest.fn(async (region: string, year: number) => ({
        total: region.length + year,
      }));
      const report = cached(body, {
        name: 'report',
        backend: 'sql',
        sql: database.url,
        table: TABLE,
      });
      expect(await report('eu', 2024)).toEqual({ total: 7 });
      expect(body).not.toHaveBeenCalled();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an unknown cache name fails with exit 1 and lists the known ones', async () => {
    await fillArea('sql-known');
    const result = await memoir('clear', 'sql-unknown', '--json');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/No cache named "sql-unknown" in .* \(known caches: .*sql-known/);
    expect(result.json.error.code).toBe('UNKNOWN_CACHE');
  });
});

test('an unreachable server fails fast with exit 1, and the password never shows', async () => {
  const started = Date.now();
  const result = await runCli([
    'list',
    '--sql',
    'postgres://user:secret@127.0.0.1:1/app',
    '--timeout',
    '300ms',
  ]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('Cannot reach postgres://user:***@127.0.0.1:1/app');
  expect(result.stderr).not.toContain('secret');
  expect(Date.now() - started).toBeLessThan(5_000);
});

test('sql options are checked before connecting (exit 2)', async () => {
  const cases: Array<[string[], string]> = [
    [['list', '--sql', 'redis://h'], '--sql must be'],
    [['list', '--sql', 'sqlite://relative.db'], '--sql must be'],
    [['list', '--sql', 'sqlite:///tmp/x.db', '--cache-dir', '/tmp'], 'not both'],
    [['list', '--sql', 'sqlite:///tmp/x.db', '--table', 'a;b'], '--table must be'],
    [['list', '--table', 'entries'], '--table only applies with --sql'],
    [['list', '--sql', 'sqlite:///tmp/x.db', '--collection', 'c'], '--collection only applies'],
    [['list', '--sql', 'sqlite:///tmp/x.db', '--timeout', 'x'], '--timeout must be'],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(args)));
  results.forEach((result, i) => {
    expect({ args: cases[i][0], code: result.code }).toEqual({ args: cases[i][0], code: 2 });
    expect(result.stderr).toContain(cases[i][1]);
  });
});
