import type { Statements } from './statements';
import type { TableName } from './table-name';

/**
 * The statements of each table, built once per table per connection: the first caller
 * creates the table (if missing) and prepares them; later callers get them without a
 * promise on the hot path. A failed creation is forgotten, so the next call tries again.
 */
export function statementsPerTable(
  build: (table: TableName) => Promise<Statements>,
): (table: TableName) => Statements | Promise<Statements> {
  const pending = new Map<string, Promise<Statements>>();
  const ready = new Map<string, Statements>();
  return (table) => {
    const done = ready.get(table.name);
    if (done) return done;
    let building = pending.get(table.name);
    if (!building) {
      building = build(table).then((statements) => {
        ready.set(table.name, statements);
        return statements;
      });
      pending.set(table.name, building);
      building.catch(() => pending.delete(table.name));
    }
    return building;
  };
}
