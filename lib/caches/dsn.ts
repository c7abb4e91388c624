import { MemoirError } from '../errors';

/**
 * Cache configuration from DSNs: `MEMOIR_DSN` and every `MEMOIR_DSN_<suffix>` hold one each.
 * The scheme names the backend, the fragment the alias (`default` when absent), the query the
 * options:
 *
 *   redis://cache.internal:6379/0?ttl=2h#sessions   → sessions: { backend: 'redis', redis: 'redis://cache.internal:6379/0', ttl: '2h' }
 *   sqlite:///var/cache/app/kv.db?namespace=app#disk  → disk: { backend: 'sql', sql: 'sqlite:///var/cache/app/kv.db', namespace: 'app' }
 *   file:///var/cache/app#local                      → local: { backend: 'file', cacheDir: '/var/cache/app' }
 *   mongodb://db.internal/app?collection=kv#shared  → shared: { backend: 'mongo', mongetter: { uri, db: 'app', collection: 'kv' } }
 *   memory://#scratch                                → scratch: { backend: 'memory' }
 *   myredis://10.0.0.5:6379/0#custom                 → custom: { backend: 'myredis', url: 'myredis://10.0.0.5:6379/0' }
 *
 * Query parameters that are memoir options are taken out of the URL; the others stay in it for
 * the driver (`?sslmode=require` on PostgreSQL), or, for a custom backend, become options too.
 */
export type AliasConfig = { backend: string } & Record<string, unknown>;

const COMMON = ['namespace', 'ttl', 'serializer', 'plugins', 'timeout'];
const SQL_SCHEMES = new Set(['postgres', 'postgresql', 'mysql', 'mariadb', 'sqlite']);

/** A query value as an option: lists for plugins, numbers and booleans where they are meant. */
function optionValue(name: string, value: string): unknown {
  if (name === 'plugins') return value.split(',').map((plugin) => plugin.trim()).filter(Boolean);
  if (name === 'namespace' || name === 'serializer') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

function bad(source: string, dsn: string, problem: string): MemoirError {
  return new MemoirError('INVALID_OPTION', `${source}: ${problem} (got ${JSON.stringify(redact(dsn))}). Expected a DSN such as redis://host:6379/0?ttl=2h#alias.`);
}

/** Passwords never reach a message. */
function redact(dsn: string): string {
  return dsn.replace(/\/\/([^/@:]*):([^/@]*)@/, '//$1:***@');
}

/** Parses one DSN; `source` (the variable's name) is named in every error. */
export function parseDsn(dsn: string, source: string): { alias: string; config: AliasConfig } {
  let url: URL;
  try {
    url = new URL(dsn.trim());
  } catch {
    throw bad(source, dsn, 'not a URL');
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  const alias = decodeURIComponent(url.hash.slice(1)) || 'default';
  url.hash = '';

  const options: Record<string, unknown> = {};
  const kept = new URLSearchParams();
  const custom = !['redis', 'rediss', 'file', 'memory', 'mongodb', 'mongodb+srv'].includes(scheme) && !SQL_SCHEMES.has(scheme);
  const own = scheme === 'mongodb' || scheme === 'mongodb+srv' ? ['collection'] : SQL_SCHEMES.has(scheme) ? ['table'] : [];
  for (const [name, value] of url.searchParams) {
    if (COMMON.includes(name) || own.includes(name) || custom) options[name] = optionValue(name, value);
    else kept.append(name, value);
  }
  url.search = kept.toString();
  // URL keeps a lone '?' or '#' off once emptied; strip what it may leave behind anyway.
  const rest = url.toString().replace(/[?#]$/, '');

  let config: AliasConfig;
  if (scheme === 'redis' || scheme === 'rediss') config = { backend: 'redis', redis: rest, ...options };
  else if (SQL_SCHEMES.has(scheme)) config = { backend: 'sql', sql: rest, ...options };
  else if (scheme === 'memory') config = { backend: 'memory', ...options };
  else if (scheme === 'file') {
    if (!url.pathname || url.pathname === '/') throw bad(source, dsn, 'a file DSN names the cache directory: file:///absolute/path');
    config = { backend: 'file', cacheDir: decodeURIComponent(url.pathname), ...options };
  } else if (scheme === 'mongodb' || scheme === 'mongodb+srv') {
    const { collection = 'memoir_kv', ...others } = options;
    const db = decodeURIComponent(url.pathname.slice(1)) || 'memoir';
    config = { backend: 'mongo', mongetter: { uri: rest, db, collection: String(collection) }, ...others };
  } else config = { backend: scheme, url: rest, ...options };
  return { alias, config };
}

/** Every `MEMOIR_DSN` / `MEMOIR_DSN_<suffix>` of `env`, by alias; two DSNs naming one alias is an error. */
export function configFromEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, AliasConfig> {
  const config: Record<string, AliasConfig> = {};
  const from = new Map<string, string>();
  const names = Object.keys(env)
    .filter((name) => name === 'MEMOIR_DSN' || name.startsWith('MEMOIR_DSN_'))
    .sort();
  for (const name of names) {
    const value = env[name];
    if (!value) continue;
    const { alias, config: aliasConfig } = parseDsn(value, name);
    const earlier = from.get(alias);
    if (earlier) {
      throw new MemoirError('INVALID_OPTION', `${name}: alias "${alias}" is already defined by ${earlier}; give one of them another #fragment.`);
    }
    from.set(alias, name);
    config[alias] = aliasConfig;
  }
  return config;
}

/** Which variable defined each alias of `env` (for messages). */
export function dsnSources(env: NodeJS.ProcessEnv = process.env): Map<string, string> {
  const sources = new Map<string, string>();
  for (const name of Object.keys(env).sort()) {
    if ((name !== 'MEMOIR_DSN' && !name.startsWith('MEMOIR_DSN_')) || !env[name]) continue;
    try {
      sources.set(parseDsn(env[name]!, name).alias, name);
    } catch {
      // configFromEnvironment reports it
    }
  }
  return sources;
}
