import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { createMongoCore } from '../../../backends/mongo';
import type { Core, CoreEvent } from '../../../lib/contract';
import { MemoirError } from '../../../lib/errors';
import { describeCoreContract } from '../../../lib/testing/core-contract';
import {
  commandsOn,
  type MongoFixture,
  openMongoFixture,
  openStandinFixture,
} from '../../support/mongo-fixtures';
import { startStandin } from '../../support/mongo-standin';

const T0 = 1_700_000_000_000;

/** Retries an assertion until it passes: the server sees a client's close a moment later. */
async function eventually(assertion: () => void, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/**
 * The shared core contract, run against the mongo core over the wire-protocol stand-in, and
 * against a real server when MONGODB_URI is set.
 */
function lazyFixture(open: () => Promise<MongoFixture>) {
  let fixture: Promise<MongoFixture> | undefined;
  const get = () => (fixture ??= open());
  return {
    makeCore: async (name: string, report: (event: Omit<CoreEvent, 'cache'>) => void) =>
      (await get()).core(name, {}, report),
    /** Replaces the stored bytes of `key` by bytes v8 cannot read. */
    corrupt: async (core: Core, key: string) => {
      await (await get()).collection.updateOne(
        { func: core.name, key },
        { $set: { value: Buffer.from([0xff, 0x0d, 0x6f, 0x00]) } },
      );
    },
    teardown: async () => {
      if (fixture) await (await fixture).close();
    },
  };
}

const standin = lazyFixture(openStandinFixture);
describeCoreContract('mongo core (stand-in)', standin.makeCore, {
  serverClock: true,
  corrupt: standin.corrupt,
  teardown: standin.teardown,
});

const realUri = process.env.MONGODB_URI;
if (realUri) {
  const real = lazyFixture(() => openMongoFixture(realUri));
  describeCoreContract('mongo core (MONGODB_URI)', real.makeCore, {
    serverClock: true,
    corrupt: real.corrupt,
    teardown: real.teardown,
  });
} else {
  console.warn(
    'MONGODB_URI is not set: the mongo core contract ran against the wire-protocol stand-in only, not a real MongoDB server.',
  );
}

describe('mongo core regressions (stand-in)', () => {
  let fixture: Awaited<ReturnType<typeof openStandinFixture>>;
  let names = 0;
  const fresh = (options?: Record<string, unknown>) => fixture.core(`fn-${names++}`, options);
  const claim = (owner: string, now = T0, lease = 10_000) => ({
    owner,
    now,
    leaseUntil: now + lease,
  });
  const log = () => commandsOn(fixture.standin, fixture.collection.collectionName);

  beforeAll(async () => {
    fixture = await openStandinFixture();
  });
  afterAll(() => fixture.close());
  beforeEach(async () => {
    await fresh().get('warm-up'); // creates the index, so counts below are per operation
    fixture.standin.commandLog.length = 0;
    fixture.events.length = 0;
  });

  it('is async only: no sync operations', () => {
    expect(fresh().sync).toBeUndefined();
  });

  it('uses one find per read, one findAndModify per acquire, one update per owned write', async () => {
    const core = fresh();
    await core.get('k');
    expect(log()).toEqual(['find']);
    fixture.standin.commandLog.length = 0;
    expect((await core.acquire('k', claim('A'))).acquired).toBe(true);
    expect(log()).toEqual(['findAndModify']);
    fixture.standin.commandLog.length = 0;
    await core.write('k', 'v', { time: T0, owner: 'A' });
    expect(log()).toEqual(['update']);
    fixture.standin.commandLog.length = 0;
    expect((await core.get('k'))?.value).toBe('v');
    expect(log()).toEqual(['find']);
  });

  it('creates the unique (func, key) index once per collection, not per core', async () => {
    const cores = [fresh(), fresh(), fresh()];
    await Promise.all(cores.map((core) => core.get('k')));
    expect(log().filter((command) => command === 'createIndexes')).toEqual([]); // made in beforeEach
    const indexes = await fixture.collection.indexes();
    expect(indexes).toContainEqual(
      expect.objectContaining({ key: { func: 1, key: 1 }, unique: true }),
    );
  });

  it('stores the documented document shape', async () => {
    const core = fresh();
    const before = Date.now();
    await core.acquire('k', claim('A'));
    const placeholder = await fixture.collection.findOne(
      { func: core.name },
      { projection: { _id: 0 } },
    );
    // The mark's times are the server's (this machine's, within a round trip), not the claim's.
    const since = placeholder?.processing?.since as number;
    expect(since).toBeGreaterThanOrEqual(before - 1_000);
    expect(since).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(placeholder).toEqual({
      func: core.name,
      key: 'k',
      time: T0,
      completed: false,
      processing: { owner: 'A', since, leaseUntil: since + 10_000 },
    });
    await core.write('k', { a: 1 }, { time: T0 + 1, owner: 'A' });
    const doc = await fixture.collection.findOne({ func: core.name }, { projection: { _id: 0 } });
    expect(doc).toMatchObject({ func: core.name, key: 'k', time: T0 + 1, completed: true });
    expect(doc?.processing).toBeUndefined();
    expect(v8.deserialize(doc?.value.buffer)).toEqual({ a: 1 });
  });

  it('guards every query value with $eq, so keys cannot act as operators', async () => {
    const core = fresh();
    await core.write('plain', 1, { time: T0 });
    await core.get('{"$ne":null}');
    const find = fixture.standin.commandLog.find((entry) => entry.command === 'find');
    expect(find?.body.filter).toEqual({ func: { $eq: core.name }, key: { $eq: '{"$ne":null}' } });
    expect(await core.get('{"$ne":null}')).toBeUndefined();
  });

  it('treats corrupt and foreign documents as a miss, reports each once, and recovers', async () => {
    const core = fresh();
    await core.write('good', 'intact', { time: T0 });
    await fixture.collection.insertMany([
      { func: core.name, key: 'garbage', value: 'not binary', time: T0, completed: true },
      { func: core.name, key: 'bytes', value: Buffer.from([1, 2, 3]), time: T0, completed: true },
      { func: core.name, key: 'mark', time: T0, completed: false, processing: 'locked!' },
      { func: core.name, key: 'foreign', hello: 'world' },
    ]);
    for (const key of ['garbage', 'bytes', 'mark', 'foreign']) {
      expect(await core.get(key)).toBeUndefined();
      expect(await core.get(key)).toBeUndefined();
    }
    expect(fixture.events.map((event) => event.type)).toEqual(Array(4).fill('corrupt-entry'));
    expect(fixture.events[1].message).toContain('"bytes"');
    expect((await core.get('good'))?.value).toBe('intact');

    // A damaged mark never wedges a key: acquire takes it over, and a write repairs it.
    for (const key of ['garbage', 'bytes', 'mark', 'foreign']) {
      expect((await core.acquire(key, claim('A'))).acquired).toBe(true);
      await core.write(key, `fixed ${key}`, { time: T0, owner: 'A' });
      expect(await core.get(key)).toMatchObject({ value: `fixed ${key}`, completed: true });
    }
  });

  it('wraps server errors in MemoirError BACKEND_ERROR with the cause', async () => {
    const core = fresh();
    fixture.standin.failNext('find', { code: 2, codeName: 'BadValue', errmsg: 'boom' });
    const error = await core.get('k').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MemoirError);
    expect(error).toMatchObject({ code: 'BACKEND_ERROR' });
    expect((error as Error).message).toContain(fixture.collection.namespace);
    expect((error as Error).cause).toMatchObject({ code: 2 });
    expect(await core.get('k')).toBeUndefined(); // the next call works again
  });

  it('does not wrap serialization errors', async () => {
    await expect(fresh().write('k', () => 1, { time: T0 })).rejects.toMatchObject({
      code: 'SERIALIZATION_FAILED',
    });
  });

  it('uses a custom serializer when given one', async () => {
    const serializer = {
      serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
      deserialize: (bytes: Buffer) => ({ revived: JSON.parse(bytes.toString()) }),
    };
    const core = fresh({ serializer });
    await core.write('k', [1, 2], { time: T0 });
    expect((await core.get('k'))?.value).toEqual({ revived: [1, 2] });
  });
});

describe('mongo core options and lifecycle', () => {
  const spec = (options: Record<string, unknown>) => ({ name: 'opts', options, report: () => {} });

  it('requires a mongetter', () => {
    expect(() => createMongoCore(spec({}))).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => createMongoCore(spec({ mongetter: { uri: 'x' } }))).toThrow(/mongetter/);
  });

  it('calls the mongetter lazily and once, and rejects one that returns no collection', async () => {
    const fixture = await openStandinFixture();
    try {
      const getter = jest.fn(async () => fixture.collection);
      const core = createMongoCore(spec({ mongetter: getter }));
      expect(getter).not.toHaveBeenCalled();
      await core.get('a');
      await core.write('a', 1, { time: T0 });
      expect(getter).toHaveBeenCalledTimes(1);
      await core.close?.();
      await core.close?.();
      // The user's client stays open: closing the core never closes what it did not create.
      expect(await fixture.collection.countDocuments({ func: 'opts' })).toBe(1);

      const bad = createMongoCore(spec({ mongetter: () => ({}) }));
      await expect(bad.get('a')).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    } finally {
      await fixture.close();
    }
  });

  it('connects lazily from { uri, db, collection }, shares the client, and closes it with the last core', async () => {
    const standin = await startStandin();
    try {
      const mongetter = { uri: standin.uri, db: 'memoir_lazy', collection: 'entries' };
      const first = createMongoCore(spec({ mongetter }));
      const second = createMongoCore({ ...spec({ mongetter }), name: 'other' });
      expect(standin.commandLog).toEqual([]);
      await first.write('k', 'v', { time: T0 });
      expect(await second.get('k')).toBeUndefined();
      expect((await first.get('k'))?.value).toBe('v');
      expect(standin.commandLog.filter((entry) => entry.command === 'createIndexes')).toHaveLength(
        1,
      );
      await first.close?.();
      await first.close?.();
      await expect(first.get('k')).rejects.toMatchObject({ code: 'BACKEND_ERROR' });
      expect(await second.get('missing')).toBeUndefined(); // still connected
      expect(standin.openConnections()).toBeGreaterThan(0);
      await second.close?.();
      await eventually(() => expect(standin.openConnections()).toBe(0));
    } finally {
      await standin.stop();
    }
  });

  it('reports a server that is down as BACKEND_ERROR, and works once it is reachable', async () => {
    const standin = await startStandin();
    const { port } = standin;
    await standin.stop();
    const core = createMongoCore(
      spec({
        mongetter: {
          uri: `mongodb://127.0.0.1:${port}/?directConnection=true`,
          db: 'memoir_down',
          collection: 'entries',
          clientOptions: { serverSelectionTimeoutMS: 300 },
        },
      }),
    );
    let restarted: Awaited<ReturnType<typeof startStandin>> | undefined;
    try {
      const error = await core.get('k').catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'BACKEND_ERROR' });
      expect((error as Error).message).toContain('opts');
      // The failed connection is not cached: the next call connects afresh.
      restarted = await startStandin({ port });
      expect(await core.get('k')).toBeUndefined();
    } finally {
      await core.close?.();
      await restarted?.stop();
    }
  });
});

describe('module boundaries', () => {
  const tsFilesUnder = (dir: string): string[] =>
    fs
      .readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => path.join(dir, file));

  it('lib/ never imports mongodb, and backends/mongo only lazily', () => {
    for (const file of tsFilesUnder(path.join(__dirname, '../../../lib'))) {
      expect(fs.readFileSync(file, 'utf8')).not.toMatch(/from 'mongodb'|require\('mongodb'\)/);
    }
    for (const file of tsFilesUnder(path.join(__dirname, '../../../backends/mongo'))) {
      // Type-only imports vanish at compile time; a value import would load the driver eagerly.
      expect(fs.readFileSync(file, 'utf8')).not.toMatch(/^import (?!type)[^;]*from 'mongodb'/m);
    }
  });
});
