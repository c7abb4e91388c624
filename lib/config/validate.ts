import { CORE_OPERATIONS, coreDefect } from '../contract';
import { describe, invalidOption, MemoirError } from '../errors';
import type { BackendOption, CachedOptions, CallOptions, GlobalParams } from '../options';
import { resolveSettings } from './settings';
import { parseDuration, parseSize, parseTimerDuration } from '../units';
import { assertPeerDependency } from '../util';
import { caches, checkSerializer, isKeyValueCache } from '../caches';

const BACKENDS = ['memory', 'file', 'mongo', 'redis', 'sql'];

function checkBoolean(options: object, key: string): void {
  const value = (options as Record<string, unknown>)[key];
  if (value !== undefined && typeof value !== 'boolean') throw invalidOption(key, value, 'true or false');
}

function checkFunction(options: object, key: string, accepted: string): void {
  const value = (options as Record<string, unknown>)[key];
  if (value !== undefined && typeof value !== 'function') throw invalidOption(key, value, accepted);
}

const REDIS_ACCEPTED =
  "a URL ('redis://host:6379/0', 'rediss://...'), { url, ...clientOptions }, or a node-redis or ioredis client";

function checkRedis(redis: unknown): void {
  if (redis === undefined) return;
  const url = typeof redis === 'string' ? redis : (redis as { url?: unknown } | null)?.url;
  if (typeof redis !== 'string' && (typeof redis !== 'object' || redis === null)) throw invalidOption('redis', redis, REDIS_ACCEPTED);
  if (url !== undefined && !(typeof url === 'string' && /^rediss?:\/\//i.test(url))) {
    throw invalidOption(typeof redis === 'string' ? 'redis' : 'redis.url', url, REDIS_ACCEPTED);
  }
}

/** Every member of CachedOptions; test/config/options-reference.test.ts keeps it equal to the type. */
export const CACHED_OPTION_NAMES: ReadonlySet<string> = new Set([
  'name', 'backend', 'staleAfter', 'nextTime', 'allowNone', 'waitForCalcTimeout', 'lease', 'hashFunc',
  'cacheDir', 'separateFiles', 'mongetter', 'redis', 'sql', 'table', 'timeout', 'serializer', 'cleanupStale', 'cleanupInterval', 'entrySizeLimit',
  'dependsOn', 'manager', 'instanceKey', 'shareAcrossInstances', 'copy', 'async', 'onBackendError',
  'onEvent', 'logger', 'clock',
]);

/**
 * A built-in name, a core, a core factory, a key-value cache, or a known alias. An alias must be
 * known when the function is wrapped (from the environment's DSNs or `caches.setConfig`), so a
 * typo fails there; `caches` is read lazily after that, so a later `setConfig` is followed.
 */
function checkBackend(backend: unknown): void {
  if (backend === undefined || typeof backend === 'function' || (typeof backend === 'string' && BACKENDS.includes(backend))) return;
  if (typeof backend === 'string') {
    try {
      caches.getAliasConfig(backend);
      return;
    } catch (error) {
      if (!(error instanceof MemoirError) || error.code !== 'UNKNOWN_ALIAS') throw error;
      // INVALID_OPTION like every bad option at decoration; the message says what an alias is.
      throw new MemoirError(
        'INVALID_OPTION',
        `Invalid option "backend": ${JSON.stringify(backend)} is neither a built-in backend ('memory', 'file', 'mongo', 'redis', 'sql') ` +
          `nor a cache alias (caches.setConfig or MEMOIR_DSN_*); ${error.message.replace(/^Unknown cache alias "[^"]*"; /, '')}`,
        { cause: error },
      );
    }
  }
  if (isKeyValueCache(backend)) return;
  const defect = typeof backend === 'object' ? coreDefect(backend) : 'it is neither a backend name nor a core';
  if (defect !== undefined) {
    throw invalidOption(
      'backend',
      backend,
      `'memory', 'file', 'mongo', 'redis', 'sql', a core object (${CORE_OPERATIONS.join(', ')}), a core factory (spec) => core, ` +
        `a key-value cache (createCache, caches.get) or the name of a cache alias; ${defect}`,
    );
  }
}

/** Throws a MemoirError naming the first bad option. Units are parsed to prove they parse. */
export function validateOptions(options: CachedOptions): void {
  if (options === null || typeof options !== 'object') {
    throw invalidOption('options', options, 'an options object');
  }
  for (const key of Object.keys(options)) {
    // A typo such as `stalAfter` would otherwise be silently ignored.
    if (!CACHED_OPTION_NAMES.has(key)) {
      throw new MemoirError(
        'INVALID_OPTION',
        `Unknown option "${key}". Known options: ${[...CACHED_OPTION_NAMES].join(', ')}.`,
      );
    }
  }
  checkBackend(options.backend);
  if (options.serializer !== undefined) checkSerializer(options.serializer);
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name.length === 0)) {
    throw invalidOption('name', options.name, 'a non-empty string');
  }
  if (options.staleAfter !== undefined) parseDuration(options.staleAfter, 'staleAfter');
  if (options.waitForCalcTimeout !== undefined) parseTimerDuration(options.waitForCalcTimeout, 'waitForCalcTimeout', true);
  if (options.lease !== undefined && parseTimerDuration(options.lease, 'lease') <= 0) {
    throw invalidOption('lease', options.lease, 'a positive duration');
  }
  if (options.cleanupInterval !== undefined) parseDuration(options.cleanupInterval, 'cleanupInterval');
  if (options.entrySizeLimit !== undefined) parseSize(options.entrySizeLimit, 'entrySizeLimit');
  for (const key of ['nextTime', 'allowNone', 'separateFiles', 'cleanupStale', 'copy', 'async', 'shareAcrossInstances']) {
    checkBoolean(options, key);
  }
  checkFunction(options, 'hashFunc', 'a function (args, context) => string');
  checkFunction(options, 'onEvent', 'a function (event) => void');
  checkFunction(options, 'clock', 'a function returning epoch milliseconds');
  checkFunction(options, 'instanceKey', 'a function (instance) => value');
  if (options.cacheDir !== undefined && (typeof options.cacheDir !== 'string' || options.cacheDir === '')) {
    throw invalidOption('cacheDir', options.cacheDir, 'a directory path');
  }
  const { mongetter } = options;
  if (mongetter !== undefined && typeof mongetter !== 'function') {
    if (typeof mongetter !== 'object' || mongetter === null) {
      throw invalidOption('mongetter', mongetter, '() => Collection | Promise<Collection>, or { uri, db, collection }');
    }
    for (const field of ['uri', 'db', 'collection'] as const) {
      const value = (mongetter as Record<string, unknown>)[field];
      if (typeof value !== 'string' || value === '') {
        throw new MemoirError(
          'INVALID_OPTION',
          `Invalid option "mongetter": \`${field}\` is ${value === undefined ? 'missing' : `not a non-empty string (${describe(value)})`}; ` +
            'give { uri, db, collection } or () => Collection | Promise<Collection>.',
        );
      }
    }
  }
  checkRedis(options.redis);
  if (options.timeout !== undefined && !(parseTimerDuration(options.timeout, 'timeout') > 0)) {
    throw invalidOption('timeout', options.timeout, 'a positive duration');
  }
  checkSqlOptions(options);
  if (options.onBackendError !== undefined && !['fallback', 'throw'].includes(options.onBackendError)) {
    throw invalidOption('onBackendError', options.onBackendError, "'fallback' or 'throw'");
  }
  if (options.dependsOn !== undefined) {
    const ok = Array.isArray(options.dependsOn) && options.dependsOn.every((d) => typeof d === 'string' && d);
    if (!ok) throw invalidOption('dependsOn', options.dependsOn, 'an array of cache names');
  }
  // Checked by shape, not instanceof: a manager may come from another copy of memoir.
  const manager = options.manager as unknown as Record<string, unknown> | undefined;
  if (manager !== undefined && (typeof manager?.registerExternalCache !== 'function' || typeof manager?.registerDependentCache !== 'function')) {
    throw invalidOption('manager', options.manager, 'a CacheManager (new CacheManager(name), or getCacheManager())');
  }
  const { logger } = options;
  if (logger !== undefined && (typeof logger?.debug !== 'function' || typeof logger?.warn !== 'function')) {
    throw invalidOption('logger', logger, 'an object with debug(message) and warn(message)');
  }
}

/** The URL schemes of the 'sql' backend; the backend parses them in full when it opens one. */
const SQL_URL = /^(postgres|postgresql|mysql|mariadb):\/\/|^sqlite:\/\/\/.|^sqlite::memory:$/;
const SQL_ACCEPTED =
  'a URL (postgres://, postgresql://, mysql://, mariadb://, sqlite:///abs/path.db, sqlite::memory:) ' +
  'or a handle: a pg Pool or Client, a mysql2 pool, a better-sqlite3 Database';
/** An identifier, optionally schema-qualified; memoir quotes it, so no user text reaches SQL. */
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,47}(\.[A-Za-z_][A-Za-z0-9_]{0,47})?$/;

function checkSqlOptions(options: CachedOptions): void {
  const { sql, table } = options;
  if (sql !== undefined) {
    const handle = typeof sql === 'object' && sql !== null;
    const handleLike =
      handle && ['query', 'prepare', 'getConnection'].some((m) => typeof (sql as Record<string, unknown>)[m] === 'function');
    if (!(typeof sql === 'string' ? SQL_URL.test(sql) : handleLike)) throw invalidOption('sql', sql, SQL_ACCEPTED);
  }
  if (table !== undefined && !(typeof table === 'string' && TABLE_NAME.test(table))) {
    throw invalidOption('table', table, 'a table name of letters, digits and _ (optionally schema.table, at most 48 characters each)');
  }
}

const CALL_KEYS = new Set(['skipCache', 'overwriteCache', 'maxAge', 'staleAfter', 'nextTime', 'allowNone', 'verbose']);

export function validateCallOptions(options: CallOptions): void {
  if (options === null || typeof options !== 'object') {
    throw invalidOption('with', options, 'an object of call options');
  }
  for (const key of Object.keys(options)) {
    if (!CALL_KEYS.has(key)) {
      throw new MemoirError(
        'INVALID_OPTION',
        `Unknown call option "${key}" (${describe((options as Record<string, unknown>)[key])}). Known: ${[...CALL_KEYS].join(', ')}.`,
      );
    }
  }
  for (const key of ['skipCache', 'overwriteCache', 'nextTime', 'allowNone', 'verbose']) checkBoolean(options, key);
  if (options.maxAge !== undefined) parseDuration(options.maxAge, 'maxAge', true);
  if (options.staleAfter !== undefined) parseDuration(options.staleAfter, 'staleAfter');
}

/** The backend a function with these options uses: its own, else the global default. */
export function backendOf(options: CachedOptions, params: Readonly<GlobalParams>): BackendOption {
  return options.backend ?? params.backend ?? 'file';
}

/**
 * Everything that can be checked when a function is wrapped or a method decorated, so a
 * mistake fails there and not at the first call: option shapes, units, and what the chosen
 * backend needs.
 */
export function validateDecoration(options: CachedOptions, params: Readonly<GlobalParams>): void {
  validateOptions(options);
  resolveSettings(options, params); // parses every duration and size
  if (backendOf(options, params) === 'redis' && (options.redis ?? params.redis) === undefined) {
    throw new MemoirError(
      'INVALID_OPTION',
      `Invalid option "redis": the 'redis' backend needs ${REDIS_ACCEPTED}.`,
    );
  }
  if (backendOf(options, params) === 'mongo' && (options.mongetter ?? params.mongetter) === undefined) {
    throw new MemoirError(
      'INVALID_OPTION',
      'Invalid option "mongetter": the \'mongo\' backend needs () => Collection | Promise<Collection>, ' +
        'or { uri, db, collection }.',
    );
  }
  const redis = options.redis ?? params.redis;
  // With a URL memoir creates a node-redis client itself; a client the user passes is their own.
  if (backendOf(options, params) === 'redis' && (typeof redis === 'string' || typeof (redis as { url?: unknown }).url === 'string')) {
    assertPeerDependency('redis', "The 'redis' backend with a URL");
  }
  const mongetter = options.mongetter ?? params.mongetter;
  // With a URI memoir connects itself and needs the driver; a getter brings its own collection.
  if (backendOf(options, params) === 'mongo' && typeof mongetter === 'object') {
    assertPeerDependency('mongodb', "The 'mongo' backend with { uri, db, collection }");
  }
  if (backendOf(options, params) === 'sql' && (options.sql ?? params.sql) === undefined) {
    throw new MemoirError('INVALID_OPTION', `Invalid option "sql": the 'sql' backend needs ${SQL_ACCEPTED}.`);
  }
  const sql = options.sql ?? params.sql;
  // With a URL memoir connects itself and needs the engine's driver; a handle brings its own.
  if (backendOf(options, params) === 'sql' && typeof sql === 'string') {
    const driver = sql.startsWith('postgres') ? 'pg' : sql.startsWith('sqlite') ? 'better-sqlite3' : 'mysql2';
    assertPeerDependency(driver, `The 'sql' backend with ${sql.split(':')[0]}:// URLs`);
  }
}
