import { invalidOption } from '../../lib/errors';

/**
 * The `table` option: an identifier, optionally schema-qualified (`cache.entries`), checked
 * against a strict pattern and then always quoted, so no user text is ever spliced into SQL
 * unchecked. Quoting keeps the case as given on every engine.
 */
export const DEFAULT_TABLE = 'memoir_entries';

const PART = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;

export interface TableName {
  /** As given, for messages. */
  readonly name: string;
  /** The parts, schema first. */
  readonly parts: readonly string[];
  /** The unqualified name, for index names. */
  readonly base: string;
}

export function tableName(given: unknown = DEFAULT_TABLE): TableName {
  const parts = typeof given === 'string' ? given.split('.') : [];
  if (parts.length < 1 || parts.length > 2 || !parts.every((part) => PART.test(part))) {
    throw invalidOption(
      'table',
      given,
      'a table name of letters, digits and _ (optionally schema.table, at most 48 characters each)',
    );
  }
  return { name: given as string, parts, base: parts[parts.length - 1] };
}

/** `"schema"."table"` (PostgreSQL, SQLite) or `` `schema`.`table` `` (MariaDB/MySQL). */
export function quoted(table: TableName, quote: '"' | '`'): string {
  return table.parts.map((part) => `${quote}${part}${quote}`).join('.');
}

/** The columns every engine's table has; a table of that name without them is not memoir's. */
export const MEMOIR_COLUMNS =
  'func, entry_key, value, promised, stored_at, owner, since, lease_until';

export function notMemoirsTable(table: TableName, error: unknown): Error {
  return new Error(
    `table ${table.name} exists but does not have memoir's columns (${MEMOIR_COLUMNS}): ` +
      `${(error as Error).message}. Pass another \`table\`.`,
  );
}
