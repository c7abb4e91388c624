/**
 * The 'sql' backend: memoized functions in one table of PostgreSQL (`pg`), SQLite
 * (`better-sqlite3`) or MariaDB/MySQL (`mysql2`). See docs/sql.md.
 */
export { createSqlCore } from './core';
export { closeSqlConnections as closeConnections } from './registry';
export { DEFAULT_TABLE } from './table-name';
