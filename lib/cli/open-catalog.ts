import { defaultCacheDirectory } from '../util';
import { parseDuration } from '../units';
import type { Catalog } from '../contract';
import type { Io, OptionValues } from './command';
import { UsageError } from './errors';

/** Same as the mongo and sql cores: long enough for a slow network, short enough for a terminal. */
const DEFAULT_SERVER_TIMEOUT_MS = 5_000;

const text = (value: string | boolean | undefined) =>
  typeof value === 'string' ? value : undefined;

/** The database named in a connection string's path (`mongodb://host/app?...` → `app`). */
function databaseInUri(uri: string): string | undefined {
  const match = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]+)/.exec(uri);
  return match ? decodeURIComponent(match[1]) : undefined;
}

/** Checks the location options without connecting, so usage errors come before any I/O. */
export function checkLocation(values: OptionValues): void {
  const redis = text(values.redis);
  if (redis !== undefined) {
    if (values['cache-dir'] !== undefined || values['mongo-uri'] !== undefined || values.sql !== undefined) {
      throw new UsageError('give one of --cache-dir, --mongo-uri, --redis and --sql');
    }
    if (values.table !== undefined) throw new UsageError('--table only applies with --sql');
    for (const option of ['db', 'collection']) {
      if (values[option] !== undefined) throw new UsageError(`--${option} only applies with --mongo-uri`);
    }
    if (!/^rediss?:\/\//.test(redis)) {
      throw new UsageError(`--redis must start with redis:// or rediss://, got "${redis}"`);
    }
    serverTimeout(values);
    return;
  }
  const uri = text(values['mongo-uri']);
  if (values.sql !== undefined) {
    checkSql(values);
    return;
  }
  if (values.table !== undefined) throw new UsageError('--table only applies with --sql');
  if (uri === undefined) {
    for (const option of ['db', 'collection', 'timeout']) {
      if (values[option] !== undefined)
        throw new UsageError(`--${option} only applies with --mongo-uri${option === 'timeout' ? ', --redis or --sql' : ''}`);
    }
    return;
  }
  if (values['cache-dir'] !== undefined)
    throw new UsageError('give --cache-dir or --mongo-uri, not both');
  if (!/^mongodb(\+srv)?:\/\//.test(uri)) {
    throw new UsageError(`--mongo-uri must start with mongodb:// or mongodb+srv://, got "${uri}"`);
  }
  if (text(values.collection) === undefined)
    throw new UsageError('--mongo-uri needs --collection NAME');
  if (text(values.db) === undefined && databaseInUri(uri) === undefined) {
    throw new UsageError('--mongo-uri needs --db NAME (or a database in the URI path)');
  }
  serverTimeout(values);
}

const SQL_URL = /^(postgres|postgresql|mysql|mariadb):\/\/|^sqlite:\/\/\/./;

function checkSql(values: OptionValues): void {
  const url = text(values.sql);
  for (const other of ['cache-dir', 'mongo-uri']) {
    if (values[other] !== undefined) throw new UsageError(`give --sql or --${other}, not both`);
  }
  for (const option of ['db', 'collection']) {
    if (values[option] !== undefined)
      throw new UsageError(`--${option} only applies with --mongo-uri`);
  }
  if (url === undefined || !SQL_URL.test(url)) {
    throw new UsageError(
      `--sql must be a postgres://, postgresql://, mysql://, mariadb:// or sqlite:///abs/path.db URL, got "${url ?? ''}"`,
    );
  }
  const table = text(values.table);
  if (
    values.table !== undefined &&
    !(table && /^[A-Za-z_]\w{0,47}(\.[A-Za-z_]\w{0,47})?$/.test(table))
  ) {
    throw new UsageError(
      `--table must be a table name of letters, digits and _, got "${table ?? ''}"`,
    );
  }
  serverTimeout(values);
}

function serverTimeout(values: OptionValues): number {
  const given = text(values.timeout);
  if (given === undefined) return DEFAULT_SERVER_TIMEOUT_MS;
  try {
    return parseDuration(given, '--timeout');
  } catch {
    throw new UsageError(`--timeout must be a duration such as 500ms or 2s, got "${given}"`);
  }
}

export function openCatalog(values: OptionValues, io: Io): Catalog {
  const warn = (message: string) => io.stderr.write(`warning: ${message}\n`);
  const redis = text(values.redis);
  if (redis !== undefined) {
    const { openRedisCatalog } =
      require('../../backends/redis/catalog') as typeof import('../../backends/redis/catalog');
    return openRedisCatalog({ url: redis, timeoutMs: serverTimeout(values) });
  }
  const uri = text(values['mongo-uri']);
  const sql = text(values.sql);
  // Backends are loaded where they are chosen, as everywhere in lib/: files never load mongodb.
  if (sql !== undefined) {
    const { openSqlCatalog } =
      require('../../backends/sql/catalog') as typeof import('../../backends/sql/catalog');
    return openSqlCatalog({
      url: sql,
      table: text(values.table),
      timeoutMs: serverTimeout(values),
    });
  }
  if (uri === undefined) {
    const { openFileCatalog } =
      require('../../backends/file/catalog') as typeof import('../../backends/file/catalog');
    return openFileCatalog(text(values['cache-dir']) ?? defaultCacheDirectory(io.env), warn);
  }
  const { openMongoCatalog } =
    require('../../backends/mongo/catalog') as typeof import('../../backends/mongo/catalog');
  return openMongoCatalog({
    uri,
    db: text(values.db) ?? databaseInUri(uri)!,
    collection: text(values.collection)!,
    serverSelectionTimeoutMS: serverTimeout(values),
  });
}
