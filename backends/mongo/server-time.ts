import { performance } from 'node:perf_hooks';
import type { Collection } from 'mongodb';

/**
 * The server's clock as one process sees it, for a store that keeps times itself (the key-value
 * store: ttls and lock leases). Measured by one write that lets the server stamp its own time
 * (`$currentDate`, every MongoDB version), as an offset from this process's clock taken halfway
 * through the round trip; measured again every minute (in the background, on the monotonic
 * clock) so a clock stepped meanwhile is caught up with. Two machines whose clocks disagree
 * thus agree on what expired and on who holds a lock, within a round trip.
 *
 * The measuring document, `{ _id: 'memoir:server-time', t }`, has no namespace: no cache command
 * reads or clears it.
 */
const REMEASURE_MS = 60_000;
export const SERVER_TIME_ID = 'memoir:server-time';

export class ServerTime {
  /** Server clock minus `clock()`, in ms; undefined until measured. */
  private offset: number | undefined;
  private measuredAt = Number.NEGATIVE_INFINITY;
  private measuring: Promise<void> | undefined;

  constructor(private readonly clock: () => number) {}

  /**
   * Measures when no offset is known (a promise to await) or when the last one is old (in the
   * background, the old offset serving meanwhile); undefined when nothing needs awaiting.
   */
  ready(collection: Collection<any>): Promise<void> | undefined {
    if (this.offset !== undefined && performance.now() - this.measuredAt < REMEASURE_MS) return undefined;
    this.measuring ??= this.measure(collection).finally(() => {
      this.measuring = undefined;
    });
    if (this.offset === undefined) return this.measuring;
    this.measuring.catch(() => undefined);
    return undefined;
  }

  /** The server's time now, as estimated (the caller's clock until the first measurement). */
  now(): number {
    return this.clock() + (this.offset ?? 0);
  }

  private async measure(collection: Collection<any>): Promise<void> {
    const before = this.clock();
    const doc = await collection.findOneAndUpdate(
      { _id: SERVER_TIME_ID },
      { $currentDate: { t: true } },
      { upsert: true, returnDocument: 'after', projection: { t: 1 } },
    );
    const after = this.clock();
    const stamped = (doc as { t?: unknown } | null)?.t;
    if (!(stamped instanceof Date)) throw new Error('the server did not stamp its time ($currentDate)');
    this.offset = stamped.getTime() - (before + after) / 2;
    this.measuredAt = performance.now();
  }
}
