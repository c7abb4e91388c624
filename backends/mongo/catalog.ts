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
 * would store them.
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
      const cursor = entries.find({}, { projection: { _id: 0 } });
      for await (const doc of cursor) {
        if (typeof doc.func !== 'string') continue;
        let summary = byFunc.get(doc.func);
        if (!summary) byFunc.set(doc.func, (summary = emptySummary(doc.func, location, 'mongo')));
        addToSummary(summary, doc, now);
      }
      return [...byFunc.values()].sort((a, b) => a.name.localeCompare(b.name));
    },

    async entries(name, key) {
      const entries = await resolve(name);
      const filter =
        key === undefined ? { func: { $eq: name } } : { func: { $eq: name }, key: { $eq: key } };
      const found: EntryInfo[] = [];
      for await (const doc of entries.find(filter, { projection: { _id: 0 } })) {
        const info = entryInfo(doc);
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

function addToSummary(summary: CacheSummary, doc: Document, now: number): void {
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
  if (isLive(entry.processing, now))
    summary.liveMarks.push({ key: String(doc.key), ...entry.processing });
  else if (entry.processing) summary.deadMarks++;
}

function entryInfo(doc: Document): EntryInfo | undefined {
  if (typeof doc.key !== 'string' || typeof doc.time !== 'number') return undefined;
  const bytes = valueBytes(doc.value);
  const processing = decodeMark(doc.processing);
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
