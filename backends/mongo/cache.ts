import { randomBytes } from 'node:crypto';
import type { Collection, Document } from 'mongodb';
import { type CacheStore, type CacheStoreFactory, parseInteger } from '../../lib/contract';
import { MemoirError } from '../../lib/errors';
import { collectionSource } from './connection';
import { backendError, isDuplicateKey } from './errors';
import { ServerTime } from './server-time';

/**
 * The mongo key-value store: one document per key in the collection `mongetter` gives,
 *
 *   { _id: 'v:<ns length>:<ns>:<key>', ns, k: 'v', v: value, i: v is an integer, exp: epoch ms (0: never), ver }
 *   { _id: 'l:<ns length>:<ns>:<name>', ns, k: 'l', owner, exp }          (a lock)
 *
 * Every command is one conditional write on `_id`, so it is atomic across processes and
 * machines: `add` is an insert (E11000: taken), `increment` an `$inc` guarded by "holds an
 * integer", compare-and-set an update guarded by the version read, a lock an update guarded by
 * "expired or mine" or an insert. Values keep their type (Binary, string, number), so other
 * clients read them as they are. Expired documents are skipped by every read and removed when
 * touched, and in a periodic sweep of the namespace.
 *
 * Times (expiry, lock leases) are the server's, estimated from an offset measured against it
 * (server-time.ts): processes on machines whose clocks disagree still agree on them.
 */
const SWEEP_EVERY = 1_000;
const MAX_ATTEMPTS = 100;

interface KvDocument {
  _id: string;
  ns: string;
  k: 'v' | 'l';
  v?: unknown;
  /** `v` is a safe integer: what increment's filter asks for (cheaper than a type test). */
  i?: boolean;
  exp: number;
  ver?: string;
  owner?: string;
}

const indexed = new WeakMap<object, Promise<unknown>>();

/** The (ns, k) index `clear` and the sweep use, created once per collection object. */
function ensureIndex(collection: Collection<KvDocument>): Promise<unknown> {
  let pending = indexed.get(collection);
  if (!pending) {
    pending = collection.createIndex({ ns: 1, k: 1, exp: 1 }, { name: 'memoir_kv_ns' }).catch((error) => {
      indexed.delete(collection);
      throw error;
    });
    indexed.set(collection, pending);
  }
  return pending;
}

/** What a document holds as the cache sees it: bytes as a Buffer, text and numbers as they are. */
function storedValue(raw: unknown): unknown {
  if (typeof raw === 'string' || typeof raw === 'number' || raw === undefined) return raw;
  if (Buffer.isBuffer(raw)) return raw;
  const binary = raw as { _bsontype?: string; buffer?: Uint8Array; position?: number; toNumber?: () => number };
  if (binary?._bsontype === 'Binary' && binary.buffer instanceof Uint8Array) {
    return Buffer.from(binary.buffer.subarray(0, binary.position ?? binary.buffer.byteLength));
  }
  if (raw instanceof Uint8Array) return Buffer.from(raw);
  if ((binary?._bsontype === 'Long' || binary?._bsontype === 'Double' || binary?._bsontype === 'Int32') && binary.toNumber) return binary.toNumber();
  return raw;
}

const newVersion = () => randomBytes(9).toString('base64url');

export const createMongoStore: CacheStoreFactory = ({ namespace, clock, options }) => {
  if (options.mongetter === undefined) {
    throw new MemoirError('INVALID_OPTION', 'Invalid option "mongetter": required for a mongo cache; pass () => collection or { uri, db, collection }.');
  }
  const source = collectionSource(options.mongetter);
  const time = new ServerTime(clock);
  const serverNow = () => time.now();
  const prefix = `${namespace.length}:${namespace}:`;
  const idOf = (key: string) => `v:${prefix}${key}`;
  const lockIdOf = (name: string) => `l:${prefix}${name}`;
  let location = '(collection not resolved yet)';
  let writes = 0;

  const live = (now = serverNow()) => ({ $or: [{ exp: 0 }, { exp: { $gt: now } }] });
  const isLive = (doc: Pick<KvDocument, 'exp'> | null | undefined, now = serverNow()): boolean => !!doc && (doc.exp === 0 || doc.exp > now);
  const expiryOf = (ttl: number | undefined) => (ttl === undefined ? 0 : serverNow() + ttl);
  const docOf = (key: string, value: unknown, exp: number, ver: string): KvDocument => ({
    _id: idOf(key),
    ns: namespace,
    k: 'v',
    v: value,
    i: typeof value === 'number' && Number.isSafeInteger(value),
    exp,
    ver,
  });

  async function run<T>(operation: string, body: (collection: Collection<KvDocument>) => Promise<T>): Promise<T> {
    try {
      const collection = (await source.collection()) as unknown as Collection<KvDocument>;
      location = collection.namespace;
      const measuring = time.ready(collection);
      await ensureIndex(collection);
      if (measuring) await measuring;
      return await body(collection);
    } catch (error) {
      throw backendError(`kv:${namespace}`, operation, location, error);
    }
  }

  /** Removes the expired document of `key` (only that version), so an insert can take its place. */
  async function dropExpired(collection: Collection<KvDocument>, id: string): Promise<boolean> {
    const removed = await collection.deleteOne({ _id: id, exp: { $gt: 0, $lte: serverNow() } });
    return removed.deletedCount > 0;
  }

  /** Inserts a fresh document unless a live one holds the key; the new version, or undefined. */
  async function insertIfAbsent(collection: Collection<KvDocument>, key: string, value: unknown, exp: number): Promise<string | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const ver = newVersion();
      try {
        await collection.insertOne(docOf(key, value, exp, ver));
        noteWrite(collection);
        return ver;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      if (!(await dropExpired(collection, idOf(key)))) return undefined;
    }
    throw new Error(`the document of ${JSON.stringify(key)} kept changing`);
  }

  /** Every SWEEP_EVERY writes, expired documents of the namespace nobody touched go. */
  function noteWrite(collection: Collection<KvDocument>): void {
    if (++writes % SWEEP_EVERY !== 0) return;
    collection.deleteMany({ ns: namespace, k: 'v', exp: { $gt: 0, $lte: serverNow() } }).catch(() => undefined);
  }

  async function upsert(collection: Collection<KvDocument>, key: string, value: unknown, exp: number): Promise<void> {
    const doc = docOf(key, value, exp, newVersion());
    try {
      await collection.replaceOne({ _id: doc._id }, doc, { upsert: true });
    } catch (error) {
      // Two upserts raced to insert: the other one won the insert, ours now replaces it.
      if (!isDuplicateKey(error)) throw error;
      await collection.replaceOne({ _id: doc._id }, doc, { upsert: true });
    }
    noteWrite(collection);
  }

  async function increment(collection: Collection<KvDocument>, key: string, delta: number): Promise<number> {
    const id = idOf(key);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const now = serverNow();
      // The usual case: a live integer, added to in place, if the sum stays a safe integer.
      const room = delta >= 0 ? { $lte: Number.MAX_SAFE_INTEGER - delta } : { $gte: Number.MIN_SAFE_INTEGER - delta };
      const updated = await collection.findOneAndUpdate(
        { _id: id, ...live(now), i: true, v: room },
        { $inc: { v: delta } as Document, $set: { ver: newVersion() } },
        { returnDocument: 'after' },
      );
      if (updated) return storedValue(updated.v) as number;
      const current = await collection.findOne({ _id: id });
      if (!isLive(current, now)) {
        if (current) await collection.deleteOne({ _id: id, ver: current.ver });
        if ((await insertIfAbsent(collection, key, delta, 0)) !== undefined) return delta;
        continue;
      }
      // The digits of an integer (serializer 'string'): replaced by the sum if nobody wrote since.
      const base = parseInteger(storedValue(current!.v));
      if (base === undefined || !Number.isSafeInteger(base + delta)) {
        throw new MemoirError('NOT_A_NUMBER', `mongo cache "${namespace}": the value of ${JSON.stringify(key)} is not an integer.`);
      }
      const swapped = await collection.updateOne({ _id: id, ver: current!.ver }, { $set: { v: base + delta, i: true, ver: newVersion() } });
      if (swapped.matchedCount > 0) return base + delta;
    }
    throw new Error(`the document of ${JSON.stringify(key)} kept changing during ${MAX_ATTEMPTS} increments`);
  }

  const store: CacheStore = {
    backend: 'mongo',
    get: (key) =>
      run('get (findOne)', async (collection) => {
        const doc = await collection.findOne({ _id: idOf(key) }, { projection: { v: 1, exp: 1 } });
        return isLive(doc) ? storedValue(doc!.v) : undefined;
      }),
    multiGet: (keys) =>
      run('multiGet (find)', async (collection) => {
        const docs = await collection.find({ _id: { $in: keys.map(idOf) } }, { projection: { v: 1, exp: 1 } }).toArray();
        const now = serverNow();
        const byId = new Map(docs.filter((doc) => isLive(doc, now)).map((doc) => [doc._id, doc]));
        return keys.map((key) => {
          const doc = byId.get(idOf(key));
          return doc && storedValue(doc.v);
        });
      }),
    set: (key, value, ttl) => run('set (replaceOne)', (collection) => upsert(collection, key, value, expiryOf(ttl))),
    add: (key, value, ttl) => run('add (insertOne)', async (collection) => (await insertIfAbsent(collection, key, value, expiryOf(ttl))) !== undefined),
    multiSet: (entries, ttl) =>
      run('multiSet (bulkWrite)', async (collection) => {
        const exp = expiryOf(ttl);
        const operations = entries.map(([key, value]) => {
          const doc = docOf(key, value, exp, newVersion());
          return { replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } };
        });
        await collection.bulkWrite(operations, { ordered: false });
        for (let i = 0; i < entries.length; i++) noteWrite(collection);
      }),
    exists: (key) =>
      run('exists (findOne)', async (collection) => (await collection.findOne({ _id: idOf(key), ...live() }, { projection: { _id: 1 } })) !== null),
    increment: (key, delta) => run('increment (findOneAndUpdate)', (collection) => increment(collection, key, delta)),
    expire: (key, ttl) =>
      run('expire (updateOne)', async (collection) => {
        const result = await collection.updateOne({ _id: idOf(key), ...live() }, { $set: { exp: expiryOf(ttl) } });
        return result.matchedCount > 0;
      }),
    delete: (key) =>
      run('delete (findOneAndDelete)', async (collection) => {
        const doc = await collection.findOneAndDelete({ _id: idOf(key) });
        return isLive(doc) ? 1 : 0;
      }),
    clear: () =>
      run('clear (deleteMany)', async (collection) => {
        await collection.deleteMany({ ns: namespace, k: 'v' });
      }),
    keys: () =>
      run('keys (find)', async (collection) => {
        const docs = await collection.find({ ns: namespace, k: 'v', ...live() }, { projection: { _id: 1 } }).toArray();
        const skip = idOf('').length;
        return docs.map((doc) => doc._id.slice(skip));
      }),
    raw: (command, args) =>
      run(`raw ${command}`, async (collection) => {
        const method = (collection as unknown as Record<string, unknown>)[command];
        if (typeof method !== 'function') {
          throw new MemoirError('UNSUPPORTED', `mongo cache "${namespace}": raw("${command}") is not a method of a mongodb Collection.`);
        }
        const result = await (method as (...a: unknown[]) => unknown).apply(collection, args);
        const cursor = result as { toArray?: () => Promise<Document[]> } | null;
        return typeof cursor?.toArray === 'function' ? cursor.toArray() : result;
      }),
    getVersioned: (key) =>
      run('optimisticLock (findOne)', async (collection) => {
        const doc = await collection.findOne({ _id: idOf(key) });
        return isLive(doc) ? { value: storedValue(doc!.v), version: String(doc!.ver) } : { value: undefined, version: undefined };
      }),
    compareAndSet: (key, value, version, ttl) =>
      run('cas (updateOne)', async (collection) => {
        const exp = expiryOf(ttl);
        if (version === undefined) return insertIfAbsent(collection, key, value, exp);
        const ver = newVersion();
        const i = typeof value === 'number' && Number.isSafeInteger(value);
        const result = await collection.updateOne({ _id: idOf(key), ver: version, ...live() }, { $set: { v: value, i, exp, ver } });
        return result.matchedCount > 0 ? ver : undefined;
      }),
    tryLock: (name, owner, lease) =>
      run('lock', async (collection) => {
        const id = lockIdOf(name);
        const now = serverNow();
        const taken = await collection.updateOne({ _id: id, $or: [{ exp: { $lte: now } }, { owner }] }, { $set: { owner, exp: now + lease } });
        if (taken.matchedCount > 0) return true;
        try {
          await collection.insertOne({ _id: id, ns: namespace, k: 'l', owner, exp: now + lease });
          return true;
        } catch (error) {
          if (isDuplicateKey(error)) return false;
          throw error;
        }
      }),
    renewLock: (name, owner, lease) =>
      run('lock renewal', async (collection) => {
        const now = serverNow();
        const result = await collection.updateOne({ _id: lockIdOf(name), owner, exp: { $gt: now } }, { $set: { exp: now + lease } });
        return result.matchedCount > 0;
      }),
    unlock: (name, owner) =>
      run('unlock', async (collection) => {
        const result = await collection.deleteOne({ _id: lockIdOf(name), owner, exp: { $gt: serverNow() } });
        return result.deletedCount > 0;
      }),
    close: () => source.close(),
  };
  return store;
};
