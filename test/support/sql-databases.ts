import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Engine } from '../../backends/sql/source';

/**
 * Scratch databases on the machine's real servers (PostgreSQL 15 and MariaDB 10.11, started by
 * .ci/run when down), one per test file and process, named `memoir_sql_<tag>_<pid>` and dropped
 * at the end; SQLite on a temp file. Only databases these helpers created are ever dropped.
 * MEMOIR_TEST_PG_URL / MEMOIR_TEST_MYSQL_URL point at other servers (an admin connection).
 */
export const PG_ADMIN_URL =
  process.env.MEMOIR_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const MYSQL_ADMIN_URL = process.env.MEMOIR_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';

export interface ScratchDatabase {
  engine: Engine;
  /** A URL memoir can take as its `sql` option. */
  url: string;
  /** The database (or file) name. */
  name: string;
  drop(): Promise<void>;
}

const scratchName = (tag: string) => `memoir_sql_${tag.replace(/\W/g, '_')}_${process.pid}`;

function withDatabase(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function scratchPostgres(tag: string): Promise<ScratchDatabase> {
  const { Client } = require('pg') as typeof import('pg');
  const name = scratchName(tag);
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  return {
    engine: 'postgres',
    url: withDatabase(PG_ADMIN_URL, name),
    name,
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

export async function scratchMysql(tag: string): Promise<ScratchDatabase> {
  const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
  const name = scratchName(tag);
  const admin = async (sql: string) => {
    const connection = await mysql.createConnection({ uri: MYSQL_ADMIN_URL });
    try {
      await connection.query(sql);
    } finally {
      await connection.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS ${name}`);
  await admin(`CREATE DATABASE ${name}`);
  return {
    engine: 'mysql',
    url: withDatabase(MYSQL_ADMIN_URL, name),
    name,
    drop: () => admin(`DROP DATABASE IF EXISTS ${name}`),
  };
}

export async function scratchSqlite(tag: string): Promise<ScratchDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-sql-'));
  const file = path.join(dir, `${scratchName(tag)}.db`);
  return {
    engine: 'sqlite',
    url: `sqlite://${file}`,
    name: file,
    drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export const SCRATCH: Record<Engine, (tag: string) => Promise<ScratchDatabase>> = {
  postgres: scratchPostgres,
  mysql: scratchMysql,
  sqlite: scratchSqlite,
};

export const ENGINES: Engine[] = ['postgres', 'mysql', 'sqlite'];

/**
 * Runs one statement on a scratch database through a connection of its own (not memoir's),
 * as another program sharing the database would. Placeholders are `?`; rows come back as
 * plain objects.
 */
export async function rawQuery(
  database: ScratchDatabase,
  sql: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  if (database.engine === 'postgres') {
    const { Client } = require('pg') as typeof import('pg');
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      return (await client.query(text, params)).rows;
    } finally {
      await client.end();
    }
  }
  if (database.engine === 'mysql') {
    const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
    const connection = await mysql.createConnection({ uri: database.url });
    try {
      const [rows] = await connection.query(sql.replace(/"/g, '`'), params);
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
    } finally {
      await connection.end();
    }
  }
  const Sqlite = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Sqlite(database.name, { timeout: 5_000 });
  try {
    const statement = db.prepare(sql);
    if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
    statement.run(...params);
    return [];
  } finally {
    db.close();
  }
}
