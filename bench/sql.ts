import * as v8 from 'node:v8';
import type { Engine } from '../backends/sql/source';
import { cached, closeConnections } from '../lib';
import { SCRATCH, type ScratchDatabase } from '../test/support/sql-databases';
import type { BenchRow } from './file';
import { FULL_TIMING, QUICK_TIMING, type Subject, type Timing, timeInterleaved } from './measure';

/**
 * The SQL backend on the machine's real servers (PostgreSQL 15, MariaDB 10.11 over 127.0.0.1)
 * and on a SQLite file, beside its floor: the same primary-key SELECT through the same driver.
 *
 *   floor SELECT          `SELECT value … WHERE func = ? AND entry_key = ?`, prepared, through
 *                         a pool of the same driver (for SQLite: an awaited synchronous get)
 *   floor + deserialize   the same, plus v8.deserialize of the bytes: what any reader pays
 *   hit                   a memoized async function called with a stored argument: key,
 *                         one SELECT, deserialization, the engine's decision
 *   miss                  a new argument each call: SELECT + acquire + write (+ the function)
 *   floor INSERT          one plain INSERT of a new row, for scale
 *
 * Misses are measured with the function's entries filled to 1k, 100k and 1M rows (quick mode:
 * 1k and 10k), so the table shows how a miss grows with the table. Run alone with
 * `npx tsx bench/sql.ts` (BENCH_QUICK=1 for a short pass); the harness calls runSqlBenchmark.
 * Databases are scratch ones (memoir_sql_bench_<pid>), dropped at the end.
 */
const SMALL = { id: 42, name: 'small value', tags: ['a', 'b'] };
const NAME = 'bench-sql';
// memoir's hit reads `(n) => ({ ...SMALL, id: n })` for n = -1: the floor reads those same bytes.

export const label = (engine: Engine) => `sql (${engine})`;

interface Driver {
  /** The stored bytes of `key`'s value, as the driver returns them. */
  floorSelect(key: string): Promise<Buffer | undefined>;
  floorInsert(key: string): Promise<unknown>;
  /** Adds rows `fill-<from+1>` … `fill-<to>` to the function's entries. */
  fill(from: number, to: number): Promise<void>;
  close(): Promise<void>;
}

const SELECT = 'SELECT value FROM memoir_entries WHERE func = ? AND entry_key = ?';
const INSERT = 'INSERT INTO memoir_entries (func, entry_key, value, stored_at) VALUES (?, ?, ?, ?)';

function postgresDriver(url: string): Driver {
  const { Pool } = require('pg') as typeof import('pg');
  const pool = new Pool({ connectionString: url });
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  const bytes = v8.serialize(SMALL);
  return {
    floorSelect: async (key) =>
      (await pool.query({ name: 'floor_select', text: numbered(SELECT), values: [NAME, key] }))
        .rows[0]?.value,
    floorInsert: (key) =>
      pool.query({
        name: 'floor_insert',
        text: numbered(INSERT),
        values: ['floor', key, bytes, 0],
      }),
    async fill(from, to) {
      await pool.query(
        "INSERT INTO memoir_entries (func, entry_key, value, stored_at) SELECT $1, 'fill-' || g, $2, $3 FROM generate_series($4::int, $5::int) g",
        [NAME, bytes, Date.now(), from + 1, to],
      );
      await pool.query('ANALYZE memoir_entries');
    },
    close: () => pool.end(),
  };
}

function mysqlDriver(url: string): Driver {
  const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
  const pool = mysql.createPool({ uri: url, connectionLimit: 4 });
  const bytes = v8.serialize(SMALL);
  return {
    floorSelect: async (key) => {
      const [rows] = await pool.execute(SELECT, [NAME, key]);
      return (rows as Array<{ value: Buffer }>)[0]?.value;
    },
    floorInsert: (key) => pool.execute(INSERT, ['floor', key, bytes, 0]),
    async fill(from, to) {
      // MariaDB's sequence engine: seq_1_to_N is a table of the numbers 1..N.
      const count = Math.trunc(to - from);
      await pool.query(
        `INSERT INTO memoir_entries (func, entry_key, value, stored_at) SELECT ?, CONCAT('fill-', seq + ?), ?, ? FROM seq_1_to_${count}`,
        [NAME, from, bytes, Date.now()],
      );
      await pool.query('ANALYZE TABLE memoir_entries');
    },
    close: () => pool.end(),
  };
}

function sqliteDriver(file: string): Driver {
  const Sqlite = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Sqlite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const select = db.prepare(SELECT);
  const insert = db.prepare(INSERT);
  const bytes = v8.serialize(SMALL);
  return {
    floorSelect: async (key) => (select.get(NAME, key) as { value: Buffer } | undefined)?.value,
    floorInsert: async (key) => insert.run('floor', key, bytes, 0),
    async fill(from, to) {
      db.prepare(
        'WITH RECURSIVE g(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM g WHERE i < ?) ' +
          "INSERT INTO memoir_entries (func, entry_key, value, stored_at) SELECT ?, 'fill-' || i, ?, ? FROM g",
      ).run(from + 1, to, NAME, bytes, Date.now());
      db.exec('ANALYZE');
    },
    close: async () => {
      db.close();
    },
  };
}

/**
 * A row of this section: the median of the timed batches, and the fastest batch beside it.
 * On a shared machine the median moves with other processes' load; the best batch is the
 * closest to the uncontended cost, and both are reported so the reader can judge.
 */
export interface SqlBenchRow extends BenchRow {
  best?: number;
}

const DRIVERS: Record<Engine, (database: ScratchDatabase) => Driver> = {
  postgres: (database) => postgresDriver(database.url),
  mysql: (database) => mysqlDriver(database.url),
  sqlite: (database) => sqliteDriver(database.name),
};

async function benchEngine(engine: Engine, quick: boolean, rows: SqlBenchRow[]): Promise<void> {
  const timing = quick ? QUICK_TIMING : { ...FULL_TIMING, batchMs: 60 };
  const add = (name: string, timing: Timing) =>
    rows.push({
      core: label(engine),
      case: name,
      median: timing.medianNs / 1e3,
      best: timing.minNs / 1e3,
      unit: 'µs',
    });
  const database = await SCRATCH[engine]('bench');
  let counter = 0;
  try {
    const memoized = cached(async (n: number) => ({ ...SMALL, id: n }), {
      name: NAME,
      backend: 'sql',
      sql: database.url,
    });
    await memoized(-1); // creates the table, measures the clock, stores the hit's entry
    const driver = DRIVERS[engine](database);
    const hitKey = memoized.keyFor(-1);
    try {
      const misses: Subject = { sync: false, call: () => memoized(counter++) };
      const [floor, decoded, hit, insert] = await timeInterleaved(
        [
          { sync: false, call: () => driver.floorSelect(hitKey) },
          {
            sync: false,
            call: async () => v8.deserialize((await driver.floorSelect(hitKey)) as Buffer),
          },
          { sync: false, call: () => memoized(-1) },
          { sync: false, call: () => driver.floorInsert(`floor-${counter++}`) },
        ],
        timing,
      );
      add('floor SELECT by primary key', floor);
      // What any reader of the same bytes pays on top: turning them back into a value.
      add('floor SELECT + v8.deserialize', decoded);
      add('hit, cached async function', hit);
      add('floor INSERT of a new row', insert);

      let filled = 0;
      for (const size of quick ? [1_000, 10_000] : [1_000, 100_000, 1_000_000]) {
        const started = performance.now();
        await driver.fill(filled, size);
        filled = size;
        const fillMs = performance.now() - started;
        const [miss, bigHit] = await timeInterleaved(
          [misses, { sync: false, call: () => memoized(-1) }],
          { ...timing, batches: Math.max(3, Math.round(timing.batches / 2)) },
        );
        const rowsLabel = `${size.toLocaleString('en')} entries`;
        add(`miss (get + acquire + write), ${rowsLabel}`, miss);
        add(`hit, ${rowsLabel}`, bigHit);
        rows.push({
          core: label(engine),
          case: `fill to ${rowsLabel}`,
          median: fillMs,
          unit: 'ms',
        });
      }
    } finally {
      await driver.close();
    }
  } finally {
    await closeConnections();
    await database.drop();
  }
}

/** Targets of the SQL issue, per engine: hit ≤ 1.3× the floor SELECT; miss flat with size. */
export function sqlVerdicts(rows: SqlBenchRow[]) {
  const engines = [...new Set(rows.map((row) => row.core))];
  return engines.flatMap((core) => {
    const find = (name: string) =>
      rows.find((row) => row.core === core && row.case.startsWith(name));
    const floorRow = find('floor SELECT by');
    const hitRow = find('hit, cached');
    const floor = floorRow?.median;
    const hit = hitRow?.median;
    const bestRatio =
      floorRow?.best && hitRow?.best
        ? `; best batches x${(hitRow.best / floorRow.best).toFixed(2)}`
        : '';
    const misses = rows.filter((row) => row.core === core && row.case.startsWith('miss'));
    const first = misses[0];
    const last = misses[misses.length - 1];
    const verdicts = [];
    if (floor !== undefined && hit !== undefined) {
      verdicts.push({
        target: `${core}: hit <= 1.3x the floor SELECT`,
        measured: `${hit.toFixed(1)} µs vs ${floor.toFixed(1)} µs (x${(hit / floor).toFixed(2)}${bestRatio})`,
        pass: hit <= floor * 1.3,
      });
    }
    if (first && last && first !== last) {
      verdicts.push({
        target: `${core}: miss at ${last.case.split(', ')[1]} <= 1.5x at ${first.case.split(', ')[1]}`,
        measured: `${last.median.toFixed(0)} µs vs ${first.median.toFixed(0)} µs (x${(last.median / first.median).toFixed(2)}${first.best && last.best ? `; best batches x${(last.best / first.best).toFixed(2)}` : ''})`,
        pass: last.median <= first.median * 1.5,
      });
    }
    return verdicts;
  });
}

export async function runSqlBenchmark(
  options: { quick?: boolean; engines?: Engine[] } = {},
): Promise<SqlBenchRow[]> {
  const quick = options.quick ?? process.env.BENCH_QUICK === '1';
  const rows: SqlBenchRow[] = [];
  for (const engine of options.engines ?? (['postgres', 'mysql', 'sqlite'] as Engine[])) {
    await benchEngine(engine, quick, rows);
  }
  return rows;
}

if (require.main === module) {
  const engines = process.argv.slice(2).filter((arg) => !arg.startsWith('-')) as Engine[];
  void runSqlBenchmark({ engines: engines.length > 0 ? engines : undefined }).then((rows) => {
    for (const row of rows)
      console.log(
        `${row.core} | ${row.case} | ${row.median.toFixed(1)} ${row.unit}${row.best ? ` (best batch ${row.best.toFixed(1)})` : ''}`,
      );
    for (const verdict of sqlVerdicts(rows))
      console.log(`${verdict.pass ? 'PASS' : 'MISS'} ${verdict.target}: ${verdict.measured}`);
  });
}
