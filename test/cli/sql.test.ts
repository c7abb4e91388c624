import { createSqlCore } from '../../backends/sql';
import { closeConnections } from '../../lib';
import { ENGINES, rawQuery, SCRATCH, type ScratchDatabase } from '../support/sql-databases';
import { ensureBuiltCli, runCli } from './harness';
import { describeServerCli } from './server-suite';

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

  describeServerCli(() => ({
    prefix: 'sql',
    layout: 'sql',
    flags: () => ['--sql', database.url, '--table', TABLE],
    options: () => ({ backend: 'sql', sql: database.url, table: TABLE }),
    location: () => `table ${TABLE}`,
    core: (name) =>
      createSqlCore({ name, options: { sql: database.url, table: TABLE }, report: () => {} }),
    countEntries: async (name) =>
      (await rawQuery(database, `SELECT entry_key FROM ${TABLE} WHERE func = ?`, [name])).length,
    // Entry times come back on this machine's clock, as the function stored them: exactly on
    // SQLite (one clock), within the two processes' offset measurements on a server.
    clockSlackMs: engine === 'sqlite' ? 0 : 5,
  }));
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
