import { performance } from 'node:perf_hooks';
import type { Collection } from 'mongodb';

/**
 * The server's clock as one process sees it, for the mongo stores, which keep times themselves:
 * the key-value store (ttls, lock leases) and the memo core (calculation leases). Measured by one
 * write that lets the server stamp its own time (`$currentDate`, every MongoDB version), as an
 * offset from this process's clock taken halfway through the round trip; measured again every
 * minute (in the background, on the monotonic clock) so a clock stepped meanwhile is caught up
 * with. Two machines whose clocks disagree thus agree on what expired and on who holds a lock
 * or a calculation, within a round trip.
 *
 * The measuring document, `{ _id: 'memoir:server-time', key: 'memoir:server-time', t }`, has no
 * namespace and no `func`: no cache command, memoized function or `memoir list` reads or clears
 * it. Its `key` keeps it apart, under the memo collections' unique (func, key) index, from a
 * stray document that has neither field.
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
      { $currentDate: { t: true }, $setOnInsert: { key: SERVER_TIME_ID } },
      { upsert: true, returnDocument: 'after', projection: { t: 1 } },
    );
    const after = this.clock();
    const stamped = (doc as { t?: unknown } | null)?.t;
    if (!(stamped instanceof Date)) throw new Error('the server did not stamp its time ($currentDate)');
    this.offset = stamped.getTime() - (before + after) / 2;
    this.measuredAt = performance.now();
  }
}

/**
 * The memo cores' server time, one per client (hundreds of memoized functions may share a
 * collection and a server: one measurement serves them all), on this machine's real clock:
 * the `clock` option governs entry ages, never leases.
 */
const perClient = new WeakMap<object, ServerTime>();

export function serverTimeOf(collection: Collection<any>): ServerTime {
  const owner: object = collection.db?.client ?? collection;
  let time = perClient.get(owner);
  if (!time) perClient.set(owner, (time = new ServerTime(() => Date.now())));
  return time;
}
