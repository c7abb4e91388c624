import type { Entry, Mark } from '../../lib/contract';
import type { Serializer } from '../../lib/contract';
import type { StoredRow } from './statements';

/**
 * Rows (database clock) to entries (the caller's clock).
 *
 * Two translations, for two kinds of time:
 * - Marks (`since`, `leaseUntil`) are judged by the database, but the engine checks
 *   `isLive(mark, clock())` in its waiting loop, so they are reported relative to the caller's
 *   clock: `callerNow + (t - dbNow)`, with `dbNow` read by the same statement. A lease with 3 s
 *   left on the server has 3 s left in the report, whatever the caller's clock says (an
 *   injected test clock included).
 * - Entry times (`time`) keep the caller's timeline, so an injected clock still governs entry
 *   ages: they are stored shifted by the process's measured wall-clock offset to the database
 *   and shifted back on read (exact within a process; across machines, corrected for skew).
 */
export interface Clocks {
  /** The caller's now minus the database's now, for the statement that read the row. */
  markShift: number;
  /** The database clock minus this process's wall clock. */
  wallOffset: number;
}

/** A row whose value cannot be deserialized: what remains usable of it is its mark. */
export class Unreadable {
  constructor(
    readonly reason: string,
    readonly error: unknown,
    /** The row's mark, no value. */
    readonly entry: Entry,
  ) {}
}

export function markOf(row: StoredRow, markShift: number): Mark | undefined {
  // An owner without a lease is damaged data: treated as no mark (acquire takes it over too).
  if (row.owner === null || row.since === null || row.leaseUntil === null) return undefined;
  return { owner: row.owner, since: row.since + markShift, leaseUntil: row.leaseUntil + markShift };
}

/** The row as an entry on the caller's clock; a value that cannot be deserialized is Unreadable. */
export function decodeRow(row: StoredRow, clocks: Clocks, serializer: Serializer): Entry | Unreadable {
  const processing = row.owner === null ? undefined : markOf(row, clocks.markShift);
  if (row.value === null) {
    const placeholder: Entry = {
      time: processing ? processing.since : row.storedAt - clocks.wallOffset,
      completed: false,
    };
    if (processing) placeholder.processing = processing;
    return placeholder;
  }
  let value: unknown;
  try {
    value = serializer.deserialize(row.value);
  } catch (error) {
    const entry: Entry = { time: row.storedAt - clocks.wallOffset, completed: false };
    if (processing) entry.processing = processing;
    return new Unreadable(
      `the stored value cannot be deserialized (${(error as Error).message})`,
      error,
      entry,
    );
  }
  const entry: Entry = { value, time: row.storedAt - clocks.wallOffset, completed: true };
  if (row.promised) entry.promised = true;
  if (processing) entry.processing = processing;
  return entry;
}
