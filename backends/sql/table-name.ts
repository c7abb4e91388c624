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
