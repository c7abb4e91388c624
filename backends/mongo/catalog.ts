import type { Collection, Document } from 'mongodb';
import {
  type CacheSummary,
  type Catalog,
  type EntryInfo,
  emptySummary,
  isLive,
  precacheThroughCore,
  v8Serializer,
  withServerErrors,
} from '../../lib/contract';
import { MemoirError } from '../../lib/errors';
import { createMongoCore } from './';
import { collectionSource } from './connection';
import { decodeEntry, decodeMark } from './documents';
import { serverTimeOf } from './server-time';

export interface MongoCatalogOptions {
  uri: string;
  db: string;
  collection: string;
  /** How long to look for a server before giving up; the CLI keeps this short. */
  serverSelectionTimeoutMS: number;
}

/**
 * The caches of one mongo collection, for the CLI: every distinct `func` is a cache. Reads
 * and bulk deletes use the same filters as the mongo core (every value behind `$eq`);
 * precached values are written by the core itself, so they are stored exactly as a call
 * would store them. Marks hold the server's times: they are shown, and judged live, on this
 * machine's clock through the measured offset (0 when it cannot be measured, say with
 * read-only credentials: the measurement is a write).
 */
export function openMongoCatalog(options: MongoCatalogOptions): Catalog {
  const location = `${options.db}.${options.collection}`;
  const source = collectionSource({
    uri: options.uri,
    db: options.db,
    collection: options.collection,
    clientOptions: { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS },
  });

  async function collection(): Promise<Collection> {
    try {
      return await source.collection();
    } catch (error) {
      throw new MemoirError(
        'BACKEND_ERROR',
        `Cannot reach MongoDB at ${redact(options.uri)}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** What to add to a mark's server times to put them on this machine's clock, `now`. */
  async function markShift(entries: Collection, now: number): Promise<number> {
    const time = serverTimeOf(entries);
    try {
      await time.ready(entries);
    } catch {
      return 0;
    }
    return Math.round(now - time.now());
  }

  async function resolve(name: string): Promise<Collection> {
    const entries = await collection();
    if (await entries.findOne({ func: { $eq: name } }, { projection: { _id: 1 } })) return entries;
    // An aggregation rather than `distinct`, which some servers and proxies do not offer.
    const groups = await entries.aggregate([{ $group: { _id: '$func' } }]).toArray();
    const known = groups
      .map((group) => group._id)
      .filter((each): each is string => typeof each === 'string');
    const hint =
      known.length > 0
        ? `known caches: ${known.sort().slice(0, 20).join(', ')}`
        : 'it holds no caches';
    throw new MemoirError('UNKNOWN_CACHE', `No cache named "${name}" in ${location} (${hint}).`);
  }

  /** One request: progress goes from 0 to 1 of 1, so a terminal still sees something move. */
  async function single<T>(
    progress: ((done: number, total: number) => void) | undefined,
    run: () => Promise<T>,
  ) {
    progress?.(0, 1);
    const result = await run();
    progress?.(1, 1);
    return result;
  }

  const catalog: Catalog = {
    location,

    async list(now) {
      const entries = await collection();
      const byFunc = new Map<string, CacheSummary>();
      const shift = await markShift(entries, now);
      const cursor = entries.find({}, { projection: { _id: 0 } });
      for await (const doc of cursor) {
        if (typeof doc.func !== 'string') continue;
        let summary = byFunc.get(doc.func);
        if (!summary) byFunc.set(doc.func, (summary = emptySummary(doc.func, location, 'mongo')));
        addToSummary(summary, doc, now, shift);
      }
      return [...byFunc.values()].sort((a, b) => a.name.localeCompare(b.name));
    },

    async entries(name, key) {
      const entries = await resolve(name);
      const filter =
        key === undefined ? { func: { $eq: name } } : { func: { $eq: name }, key: { $eq: key } };
      const found: EntryInfo[] = [];
      const shift = await markShift(entries, Date.now());
      for await (const doc of entries.find(filter, { projection: { _id: 0 } })) {
        const info = entryInfo(doc, shift);
        if (info) found.push(info);
      }
      return found;
    },

    clear: async (name, progress) => {
      const entries = await resolve(name);
      return single(
        progress,
        async () => (await entries.deleteMany({ func: { $eq: name } })).deletedCount,
      );
    },

    clearBeingCalculated: async (name, progress) => {
      const entries = await resolve(name);
      return single(progress, async () => {
        const placeholders = await entries.deleteMany({
          func: { $eq: name },
          completed: { $ne: true },
        });
        const marks = await entries.updateMany(
          { func: { $eq: name }, processing: { $exists: true } },
          { $unset: { processing: '' } },
        );
        return placeholders.deletedCount + marks.modifiedCount;
      });
    },

    prune: async (name, before, progress) => {
      const entries = await resolve(name);
      return single(progress, async () => {
        const result = await entries.deleteMany({
          func: { $eq: name },
          completed: { $eq: true },
          time: { $lt: before },
        });
        return result.deletedCount;
      });
    },

    async precache(name, items, now) {
      const entries = await collection();
      const core = createMongoCore({
        name,
        options: { mongetter: () => entries },
        report: () => {},
      });
      return precacheThroughCore(core, items, now);
    },

    close: () => source.close(),
  };
  return withServerErrors(catalog, 'MongoDB');
}

/** A mark's server times moved onto this machine's clock. */
function shifted<T extends { since: number; leaseUntil: number }>(mark: T, shift: number): T {
  return { ...mark, since: mark.since + shift, leaseUntil: mark.leaseUntil + shift };
}

function addToSummary(summary: CacheSummary, doc: Document, now: number, shift: number): void {
  const decoded = decodeEntry(doc, {
    serialize: v8Serializer.serialize,
    deserialize: () => undefined,
  });
  if (!decoded.ok) {
    summary.unreadable++;
    return;
  }
  const { entry } = decoded;
  summary.entries++;
  summary.bytes += valueBytes(doc.value)?.length ?? 0;
  if (entry.completed) {
    summary.completed++;
    summary.oldest = Math.min(summary.oldest ?? entry.time, entry.time);
    summary.newest = Math.max(summary.newest ?? entry.time, entry.time);
  }
  const mark = entry.processing && shifted(entry.processing, shift);
  if (isLive(mark, now)) summary.liveMarks.push({ key: String(doc.key), ...mark! });
  else if (mark) summary.deadMarks++;
}

function entryInfo(doc: Document, shift: number): EntryInfo | undefined {
  if (typeof doc.key !== 'string' || typeof doc.time !== 'number') return undefined;
  const bytes = valueBytes(doc.value);
  const stored = decodeMark(doc.processing);
  const processing = stored && shifted(stored, shift);
  return {
    key: doc.key,
    time: doc.time,
    completed: doc.completed === true,
    size: bytes?.length ?? 0,
    ...(processing ? { processing } : {}),
    value: () => (bytes && doc.completed === true ? v8Serializer.deserialize(bytes) : undefined),
  };
}

/** The bytes of a stored value: a BSON Binary (or a Buffer with `promoteBuffers`). */
function valueBytes(value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value;
  const binary = value as { _bsontype?: string; buffer?: Uint8Array; position?: number } | null;
  if (binary?._bsontype === 'Binary' && binary.buffer instanceof Uint8Array) {
    const length = binary.position ?? binary.buffer.byteLength;
    return Buffer.from(binary.buffer.buffer, binary.buffer.byteOffset, length);
  }
  return undefined;
}

/** A uri for messages: the password never reaches a terminal or a log. */
function redact(uri: string): string {
  return uri.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
