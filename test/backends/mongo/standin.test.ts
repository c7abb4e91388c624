import { type Collection, MongoClient, MongoServerError } from 'mongodb';
import { type Standin, spawnStandin, startStandin } from '../../support/mongo-standin';

/**
 * The stand-in speaks enough of the wire protocol for the official driver (v7) over a real
 * TCP socket. These tests pin what the mongo core and the other tests rely on.
 */
let standin: Standin;
let client: MongoClient;
let collection: Collection;
let counter = 0;

beforeAll(async () => {
  standin = await startStandin();
  client = new MongoClient(standin.uri, { serverSelectionTimeoutMS: 2_000 });
  await client.connect();
});

afterAll(async () => {
  await client.close();
  await standin.stop();
});

beforeEach(() => {
  collection = client.db('standin').collection(`c${counter++}`);
});

const loggedFor = (name: string) => standin.commandLog.filter((entry) => entry.collection === name);

describe('handshake and admin commands', () => {
  it('listens on an ephemeral 127.0.0.1 port and answers ping and buildInfo', async () => {
    expect(standin.uri).toBe(`mongodb://127.0.0.1:${standin.port}/?directConnection=true`);
    expect(await client.db('admin').command({ ping: 1 })).toMatchObject({ ok: 1 });
    const info = await client.db('admin').command({ buildInfo: 1 });
    expect(info.versionArray[0]).toBe(7);
  });

  it('opens each connection with a legacy ismaster and reports a modern wire version', async () => {
    expect(standin.commandLog[0].command.toLowerCase()).toBe('ismaster');
    const hello = await client.db('admin').command({ hello: 1 });
    expect(hello).toMatchObject({
      ok: 1,
      isWritablePrimary: true,
      logicalSessionTimeoutMinutes: 30,
    });
    expect(hello.maxWireVersion).toBeGreaterThanOrEqual(9);
    expect(hello.topologyVersion).toBeUndefined();
    expect(hello.compression).toBeUndefined();
  });

  it('answers an unknown command with CommandNotFound', async () => {
    await expect(client.db('admin').command({ frobnicate: 1 })).rejects.toMatchObject({ code: 59 });
  });
});

describe('queries', () => {
  beforeEach(async () => {
    await collection.insertMany(
      Array.from({ length: 30 }, (_, n) => ({ n, even: n % 2 === 0, tag: `t${n % 3}` })),
    );
  });

  it('filters, sorts, skips, limits and projects', async () => {
    const docs = await collection
      .find({ even: true, n: { $gte: 10 } }, { projection: { _id: 0, n: 1 } })
      .sort({ n: -1 })
      .skip(1)
      .limit(3)
      .toArray();
    expect(docs).toEqual([{ n: 26 }, { n: 24 }, { n: 22 }]);
  });

  it('pages through getMore with Long cursor ids and kills an abandoned cursor', async () => {
    const all = await collection.find({}, { batchSize: 7 }).toArray();
    expect(all).toHaveLength(30);
    const getMores = loggedFor(collection.collectionName).filter(
      (entry) => entry.command === 'getMore',
    );
    expect(getMores.length).toBeGreaterThanOrEqual(4);
    // The driver only sends getMore for the non-zero 64-bit id we returned in the first batch.
    expect(Number(getMores[0].body.getMore)).toBeGreaterThan(0);

    const cursor = collection.find({}, { batchSize: 5 });
    await cursor.next();
    await cursor.close();
    expect(
      loggedFor(collection.collectionName).some((entry) => entry.command === 'killCursors'),
    ).toBe(true);
  });

  it('findOne is one find command with limit 1', async () => {
    standin.commandLog.length = 0;
    expect(await collection.findOne({ n: { $eq: 4 } })).toMatchObject({ n: 4 });
    const finds = loggedFor(collection.collectionName);
    expect(finds.map((entry) => entry.command)).toEqual(['find']);
    expect(finds[0].body.limit).toBe(1);
  });

  it('counts and aggregates', async () => {
    expect(await collection.countDocuments({ even: true })).toBe(15);
    expect(await collection.estimatedDocumentCount()).toBe(30);
    const groups = await collection
      .aggregate([{ $group: { _id: '$tag', total: { $sum: 1 } } }, { $sort: { _id: 1 } }])
      .toArray();
    expect(groups).toEqual([
      { _id: 't0', total: 10 },
      { _id: 't1', total: 10 },
      { _id: 't2', total: 10 },
    ]);
  });
});

describe('writes', () => {
  it('updates with $set, $inc and $unset, and upserts with $setOnInsert from equality fields', async () => {
    await collection.insertOne({ name: 'a', count: 1, temp: true });
    const result = await collection.updateOne(
      { name: 'a' },
      { $set: { x: 1 }, $inc: { count: 2 }, $unset: { temp: '' } },
    );
    expect(result).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(await collection.findOne({ name: 'a' }, { projection: { _id: 0 } })).toEqual({
      name: 'a',
      count: 3,
      x: 1,
    });

    const upsert = await collection.updateOne(
      { name: { $eq: 'b' }, $or: [{ ignored: 1 }] },
      { $set: { x: 2 }, $setOnInsert: { created: true } },
      { upsert: true },
    );
    expect(upsert.upsertedCount).toBe(1);
    expect(await collection.findOne({ name: 'b' }, { projection: { _id: 0 } })).toEqual({
      name: 'b',
      x: 2,
      created: true,
    });

    // $setOnInsert does nothing when the document already exists.
    await collection.updateOne(
      { name: 'b' },
      { $set: { x: 3 }, $setOnInsert: { created: false } },
      { upsert: true },
    );
    expect(await collection.findOne({ name: 'b' }, { projection: { _id: 0 } })).toEqual({
      name: 'b',
      x: 3,
      created: true,
    });
  });

  it('updates and deletes many', async () => {
    await collection.insertMany([{ g: 1 }, { g: 1 }, { g: 2 }]);
    expect((await collection.updateMany({ g: 1 }, { $set: { seen: true } })).modifiedCount).toBe(2);
    expect((await collection.deleteOne({ g: 1 })).deletedCount).toBe(1);
    expect((await collection.deleteMany({})).deletedCount).toBe(2);
  });

  it('findOneAndUpdate returns the document before or after, projected, in sort order', async () => {
    await collection.insertMany([
      { k: 1, v: 'a' },
      { k: 2, v: 'b' },
    ]);
    const before = await collection.findOneAndUpdate(
      {},
      { $set: { v: 'z' } },
      { sort: { k: -1 }, projection: { _id: 0 } },
    );
    expect(before).toEqual({ k: 2, v: 'b' });
    const after = await collection.findOneAndUpdate(
      { k: 2 },
      { $inc: { k: 10 } },
      { returnDocument: 'after', projection: { _id: 0 } },
    );
    expect(after).toEqual({ k: 12, v: 'z' });
    expect(await collection.findOneAndUpdate({ k: 99 }, { $set: { v: 'none' } })).toBeNull();
    const upserted = await collection.findOneAndUpdate(
      { k: { $eq: 3 } },
      { $setOnInsert: { v: 'new' } },
      { upsert: true, returnDocument: 'after', projection: { _id: 0 } },
    );
    expect(upserted).toEqual({ k: 3, v: 'new' });
    expect(await collection.findOneAndDelete({ k: 1 }, { projection: { _id: 0 } })).toEqual({
      k: 1,
      v: 'a',
    });
  });

  it('accepts unacknowledged writes (moreToCome) without replying', async () => {
    await collection.insertOne({ fireAndForget: true }, { writeConcern: { w: 0 } });
    expect(await collection.findOne({ fireAndForget: true })).not.toBeNull();
  });
});

describe('indexes', () => {
  it('enforces unique indexes: writeErrors for insert and update, top-level error for findAndModify', async () => {
    await collection.createIndex({ func: 1, key: 1 }, { unique: true });
    await collection.insertOne({ func: 'f', key: 'k' });

    const insert = await collection.insertOne({ func: 'f', key: 'k' }).catch((error) => error);
    expect(insert).toBeInstanceOf(MongoServerError);
    expect(insert).toMatchObject({ code: 11000, keyValue: { func: 'f', key: 'k' } });

    await collection.insertOne({ func: 'f', key: 'other' });
    await expect(
      collection.updateOne({ key: 'other' }, { $set: { key: 'k' } }),
    ).rejects.toMatchObject({ code: 11000 });

    const findAndModify = await collection
      .findOneAndUpdate({ func: 'f', key: 'k', absent: true }, { $set: { x: 1 } }, { upsert: true })
      .catch((error) => error);
    expect(findAndModify).toMatchObject({ code: 11000, codeName: 'DuplicateKey' });
    expect(await collection.countDocuments({})).toBe(2);
  });

  it('creates an identical index idempotently, refuses a conflicting one, and lists them', async () => {
    await collection.createIndex({ a: 1 }, { unique: true, name: 'by_a' });
    await collection.createIndex({ a: 1 }, { unique: true, name: 'by_a' });
    await expect(collection.createIndex({ b: 1 }, { name: 'by_a' })).rejects.toMatchObject({
      code: 86,
    });
    const indexes = await collection.indexes();
    expect(indexes.map((index) => index.name)).toEqual(['_id_', 'by_a']);
    expect(indexes[1]).toMatchObject({ key: { a: 1 }, unique: true });
  });

  it('refuses a unique index over existing duplicates', async () => {
    await collection.insertMany([{ a: 1 }, { a: 1 }]);
    await expect(collection.createIndex({ a: 1 }, { unique: true })).rejects.toMatchObject({
      code: 11000,
    });
  });

  it('removes documents whose TTL field is past expireAfterSeconds', async () => {
    await collection.createIndex({ expireAt: 1 }, { expireAfterSeconds: 0 });
    await collection.insertMany([
      { expireAt: new Date(Date.now() - 1_000) },
      { expireAt: new Date(Date.now() + 60_000) },
    ]);
    expect(await collection.countDocuments({})).toBe(1);
  });
});

describe('collections', () => {
  it('lists and drops collections; dropping a missing one is fine', async () => {
    await collection.insertOne({ a: 1 });
    const names = (
      await client.db('standin').listCollections({}, { nameOnly: true }).toArray()
    ).map((c) => c.name);
    expect(names).toContain(collection.collectionName);
    expect(await collection.drop()).toBe(true);
    expect(await client.db('standin').collection('never-created').drop()).toBe(true);
  });
});

describe('fault injection', () => {
  it('fails the next matching command with the given code', async () => {
    // A non-retryable code: the driver would silently retry a ShutdownInProgress.
    standin.failNext('find', { code: 2, codeName: 'BadValue' });
    await expect(collection.findOne({})).rejects.toMatchObject({ code: 2 });
    expect(await collection.findOne({})).toBeNull();
  });

  it('survives dropped connections: the driver reconnects on the next operation', async () => {
    await collection.insertOne({ a: 1 });
    standin.dropConnections();
    expect(standin.openConnections()).toBe(0);
    // The first operation may see the dead socket; retryable reads make it transparent.
    expect(await collection.findOne({ a: 1 })).toMatchObject({ a: 1 });
  });
});

describe('as a separate process', () => {
  it('prints its URI and serves clients until stopped', async () => {
    const child = await spawnStandin();
    const other = new MongoClient(child.uri, { serverSelectionTimeoutMS: 2_000 });
    try {
      await other.db('x').collection('y').insertOne({ hello: 'process' });
      expect(
        await other
          .db('x')
          .collection('y')
          .findOne({}, { projection: { _id: 0 } }),
      ).toEqual({ hello: 'process' });
    } finally {
      await other.close();
      await child.stop();
    }
  });
});
