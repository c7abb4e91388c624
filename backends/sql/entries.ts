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

export type Decoded =
  | { ok: true; entry: Entry }
  /** An unreadable value: `entry` is what remains usable of the row (its mark, no value). */
  | { ok: false; reason: string; error?: unknown; entry: Entry };

export function markOf(row: StoredRow, markShift: number): Mark | undefined {
  // An owner without a lease is damaged data: treated as no mark (acquire takes it over too).
  if (row.owner === null || row.since === null || row.leaseUntil === null) return undefined;
  return { owner: row.owner, since: row.since + markShift, leaseUntil: row.leaseUntil + markShift };
}

export function decodeRow(row: StoredRow, clocks: Clocks, serializer: Serializer): Decoded {
  const processing = markOf(row, clocks.markShift);
  const base: Entry = {
    time: row.value === null && processing ? processing.since : row.storedAt - clocks.wallOffset,
    completed: false,
  };
  if (processing) base.processing = processing;
  if (row.value === null) return { ok: true, entry: base };
  try {
    const entry: Entry = { ...base, completed: true, value: serializer.deserialize(row.value) };
    if (row.promised) entry.promised = true;
    return { ok: true, entry };
  } catch (error) {
    return {
      ok: false,
      reason: `the stored value cannot be deserialized (${(error as Error).message})`,
      error,
      entry: base,
    };
  }
}
