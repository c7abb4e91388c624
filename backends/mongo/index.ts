import type { Collection } from 'mongodb';
import type {
  AcquireOutcome,
  Claim,
  Core,
  CoreFactory,
  CoreSpec,
  Entry,
  Mark,
  WriteOptions,
  WriteResult,
} from '../../lib/contract';
import { MemoirError } from '../../lib/errors';
import { type Serializer, serializeFor, v8Serializer } from '../../lib/contract';
import { collectionSource } from './connection';
import { decodeEntry, type EntryDocument, entryFilter } from './documents';
import { backendError, isDuplicateKey } from './errors';
import { ensureIndexes } from './indexes';
import { type ServerTime, serverTimeOf } from './server-time';

export type { MongoConnectionOptions, Mongetter } from './connection';

/**
 * The mongo core: one document per entry in a collection that many processes and machines
 * share. Correctness rests on the unique (func, key) index: acquire is a single conditional
 * upsert, and when two claimants race the loser's insert fails with E11000, which means
 * "someone else holds it". Async only; a sync function on this backend returns a Promise.
 *
 * Leases are judged on the server's clock (server-time.ts): a mark stores `since` and
 * `leaseUntil` as server times, and acquire and renew compare them with the server's now, so a
 * machine whose clock runs ahead never takes over a live calculation; of a claim only the
 * lease's length counts. Marks are reported on the caller's clock (the `clock` option, which
 * still governs entry ages): a lease with 3 s left on the server has 3 s left in the report.
 *
 * Server errors are thrown as MemoirError 'BACKEND_ERROR'; whether a call then fails or runs
 * the function uncached is the engine's policy, not the core's.
 */
const ATTEMPTS_WHEN_ENTRY_VANISHES = 3;

function serializerOf(options: CoreSpec['options']): Serializer {
  const candidate = options.serializer as Partial<Serializer> | undefined;
  return typeof candidate?.serialize === 'function' && typeof candidate.deserialize === 'function'
    ? (candidate as Serializer)
    : v8Serializer;
}

/** A claim's lease length: all of a claim that counts on the server's clock. */
const leaseMsOf = (claim: Claim) => Math.max(1, Math.ceil(claim.leaseUntil - claim.now));

export const createMongoCore: CoreFactory = (spec: CoreSpec): Core => {
  const { name: func } = spec;
  const source = collectionSource(spec.options.mongetter);
  const serializer = serializerOf(spec.options);
  const clock =
    typeof spec.options.clock === 'function' ? (spec.options.clock as () => number) : Date.now;
  const reportedKeys = new Set<string>();
  let location = '(collection not resolved yet)';
  let closed = false;

  /**
   * Resolves the collection (and its index, and the server's time) lazily, then runs one
   * operation, wrapping errors.
   */
  async function run<T>(
    operation: string,
    body: (collection: Collection<EntryDocument>, time: ServerTime) => Promise<T>,
  ): Promise<T> {
    if (closed)
      throw new MemoirError('BACKEND_ERROR', `Cache "${func}": the mongo core is closed.`);
    try {
      const collection = (await source.collection()) as unknown as Collection<EntryDocument>;
      location = collection.namespace;
      const time = serverTimeOf(collection);
      const measuring = time.ready(collection);
      await ensureIndexes(collection as unknown as Collection);
      if (measuring) await measuring;
      return await body(collection, time);
    } catch (error) {
      throw backendError(func, operation, location, error);
    }
  }

  /** A mark's server times on the caller's clock. */
  const onCallerClock = (mark: Mark, shift: number): Mark => ({
    owner: mark.owner,
    since: mark.since + shift,
    leaseUntil: mark.leaseUntil + shift,
  });

  /**
   * Unreadable documents are a miss; each key is reported once per core, not on every read.
   * Marks come back on the caller's clock.
   */
  function readable(
    key: string,
    doc: Record<string, unknown> | null,
    time: ServerTime,
  ): ReturnType<typeof decodeEntry> | undefined {
    if (!doc) return undefined;
    const decoded = decodeEntry(doc, serializer);
    if (decoded.ok ? decoded.entry.processing : decoded.mark) {
      const shift = Math.round(clock() - time.now());
      if (decoded.ok) decoded.entry.processing = onCallerClock(decoded.entry.processing!, shift);
      else decoded.mark = onCallerClock(decoded.mark!, shift);
    }
    if (!decoded.ok && !reportedKeys.has(key)) {
      reportedKeys.add(key);
      spec.report({
        type: 'corrupt-entry',
        message: `Cache "${func}": the document for key ${JSON.stringify(key)} in ${location} is unreadable (${decoded.reason}); treating it as a miss.`,
        location,
        error: decoded.error,
      });
    }
    return decoded;
  }

  const find = (collection: Collection<EntryDocument>, key: string) =>
    collection.findOne(entryFilter(func, key)) as Promise<Record<string, unknown> | null>;

  async function get(key: string): Promise<Entry | undefined> {
    return run('find', async (collection, time) => {
      const decoded = readable(key, await find(collection, key), time);
      return decoded?.ok ? decoded.entry : undefined;
    });
  }

  async function acquire(key: string, claim: Claim): Promise<AcquireOutcome> {
    const leaseMs = leaseMsOf(claim);
    return run('acquire (findOneAndUpdate)', async (collection, time) => {
      const now = Math.round(time.now());
      const mark = { owner: claim.owner, since: now, leaseUntil: now + leaseMs };
      // Matches only when there is no live mark of someone else. `$not: { $gt }` also matches
      // a missing or malformed lease, so a damaged document can be taken over, not wedge.
      const filter = {
        ...entryFilter(func, key),
        $or: [
          { 'processing.leaseUntil': { $not: { $gt: now } } },
          { 'processing.owner': { $eq: claim.owner } },
        ],
      };
      const update = {
        $set: { processing: mark },
        $setOnInsert: { func, key, time: claim.now, completed: false },
      };
      const ours = () => ({ time: claim.now, completed: false, processing: onCallerClock(mark, claim.now - now) });
      for (let attempt = 1; ; attempt++) {
        try {
          const doc = await collection.findOneAndUpdate(filter, update, {
            upsert: true,
            returnDocument: 'after',
          });
          const decoded = readable(key, doc as Record<string, unknown> | null, time);
          return { acquired: true, entry: decoded?.ok ? decoded.entry : ours() };
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
        }
        // The upsert lost to an existing document: someone else holds a live mark.
        const decoded = readable(key, await find(collection, key), time);
        if (decoded) {
          const entry = decoded.ok
            ? decoded.entry
            : { time: claim.now, completed: false, processing: decoded.mark };
          return { acquired: false, entry };
        }
        // The holder's entry vanished between our two round trips (released, deleted): retry.
        if (attempt >= ATTEMPTS_WHEN_ENTRY_VANISHES) {
          throw new Error(`the entry kept changing during ${attempt} acquire attempts`);
        }
      }
    });
  }

  async function renew(key: string, claim: Claim): Promise<boolean> {
    const leaseMs = leaseMsOf(claim);
    return run('renew (updateOne)', async (collection, time) => {
      const result = await collection.updateOne(
        { ...entryFilter(func, key), 'processing.owner': { $eq: claim.owner } },
        { $set: { 'processing.leaseUntil': Math.round(time.now()) + leaseMs } },
      );
      return result.matchedCount > 0;
    });
  }

  async function release(key: string, owner: string): Promise<void> {
    await run('release', async (collection) => {
      const ownMark = { ...entryFilter(func, key), 'processing.owner': { $eq: owner } };
      const removed = await collection.deleteOne({ ...ownMark, completed: { $ne: true } });
      if (removed.deletedCount === 0)
        await collection.updateOne(ownMark, { $unset: { processing: '' } });
    });
  }

  /** Upsert that retries once on E11000: a concurrent acquire may have inserted the key first. */
  async function upsertValue(
    collection: Collection<EntryDocument>,
    key: string,
    fields: Partial<EntryDocument>,
  ) {
    const write = () =>
      collection.updateOne(
        entryFilter(func, key),
        { $set: fields, $setOnInsert: { func, key } },
        { upsert: true },
      );
    try {
      await write();
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      await write();
    }
  }

  async function write(key: string, value: unknown, options: WriteOptions): Promise<WriteResult> {
    const bytes = serializeFor(func, value, serializer);
    if (options.sizeLimit !== undefined && bytes.length > options.sizeLimit) {
      if (options.owner !== undefined) await release(key, options.owner);
      return false;
    }
    const fields = { value: bytes, time: options.time, completed: true, promised: options.promised === true };
    return run('write (updateOne)', async (collection) => {
      if (options.owner !== undefined) {
        // Storing and clearing the writer's mark is one update, matched only while the mark
        // is still the writer's: a cleared or taken-over mark fences the write.
        const own = await collection.updateOne(
          { ...entryFilter(func, key), 'processing.owner': { $eq: options.owner } },
          { $set: fields, $unset: { processing: '' } },
        );
        return own.matchedCount > 0 ? true : 'fenced';
      }
      // Precaching: store the value and leave any calculator's mark alone.
      await upsertValue(collection, key, fields);
      return true;
    });
  }

  return {
    name: func,
    get,
    acquire,
    renew,
    release,
    write,
    async delete(key) {
      await run('delete', (collection) => collection.deleteOne(entryFilter(func, key)));
    },
    async clear() {
      await run('clear (deleteMany)', (collection) =>
        collection.deleteMany({ func: { $eq: func } }),
      );
    },
    async clearBeingCalculated() {
      await run('clearBeingCalculated', async (collection) => {
        await collection.deleteMany({ func: { $eq: func }, completed: { $ne: true } });
        await collection.updateMany(
          { func: { $eq: func }, processing: { $exists: true } },
          { $unset: { processing: '' } },
        );
      });
    },
    async deleteStale(before) {
      return run('deleteStale (deleteMany)', async (collection) => {
        const result = await collection.deleteMany({
          func: { $eq: func },
          completed: { $eq: true },
          time: { $lt: before },
        });
        return result.deletedCount;
      });
    },
    async keys() {
      return run('keys (find)', async (collection) => {
        const docs = await collection
          .find({ func: { $eq: func } }, { projection: { _id: 0, key: 1 } })
          .toArray();
        return docs.map((doc) => doc.key).filter((key): key is string => typeof key === 'string');
      });
    },
    async close() {
      closed = true;
      await source.close();
    },
  };
};
