import { MemoirError } from '../../lib/errors';
import type { CoreSpec } from '../../lib/contract';
import { type Serializer, v8Serializer } from '../../lib/contract';
import { parseDuration } from '../../lib/units';
import { parseSource, type Source, SQL_ACCEPTED } from './source';
import { type TableName, tableName } from './table-name';

/** The options of one SQL core, parsed. */
export interface SqlSettings {
  source: Source;
  table: TableName;
  /** Longest wait for one statement (connecting included). */
  timeoutMs: number;
  /** The caller's clock: mark times are reported on it. */
  clock: () => number;
  serializer: Serializer;
}

export const DEFAULT_TIMEOUT = '5s';

/**
 * Bounds of the (func, key) primary key, the same on every engine so a cache can move between
 * them: MariaDB's index prefix and PostgreSQL's btree row limit are both a few KB. A default
 * key is at most 400 characters (longer ones are digested); a longer `hashFunc` key is
 * refused, never truncated. Measured on the stored form (stored-text.ts).
 */
export const MAX_NAME_BYTES = 512;
export const MAX_KEY_BYTES = 2048;

export function readSettings(options: CoreSpec['options']): SqlSettings {
  if (options.sql === undefined) {
    throw new MemoirError(
      'INVALID_OPTION',
      `Invalid option "sql": the 'sql' backend needs ${SQL_ACCEPTED}.`,
    );
  }
  const candidate = options.serializer as Partial<Serializer> | undefined;
  const clock = options.clock;
  return {
    source: parseSource(options.sql),
    table: tableName(options.table ?? undefined),
    timeoutMs: parseDuration(
      (options.timeout as string | number | undefined) ?? DEFAULT_TIMEOUT,
      'timeout',
    ),
    clock: typeof clock === 'function' ? (clock as () => number) : Date.now,
    serializer:
      typeof candidate?.serialize === 'function' && typeof candidate.deserialize === 'function'
        ? (candidate as Serializer)
        : v8Serializer,
  };
}

/** A key the table cannot hold is refused by name, never cut short into someone else's key. */
export function checkKey(cache: string, key: string): void {
  // Up to 3 UTF-8 bytes per UTF-16 unit: most keys are decided without encoding them.
  if (key.length * 3 <= MAX_KEY_BYTES || Buffer.byteLength(key) <= MAX_KEY_BYTES) return;
  throw new MemoirError(
    'INVALID_KEY',
    `Cache "${cache}": a key of ${Buffer.byteLength(key)} bytes is longer than the SQL backend's ${MAX_KEY_BYTES}; ` +
      'return a shorter key from hashFunc (a digest, for instance).',
  );
}

export function checkName(cache: string): MemoirError | undefined {
  if (Buffer.byteLength(cache) <= MAX_NAME_BYTES) return undefined;
  return new MemoirError(
    'INVALID_NAME',
    `Cache "${cache.slice(0, 60)}…": the SQL backend stores names of at most ${MAX_NAME_BYTES} bytes; pass a shorter \`name\`.`,
  );
}
