import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { type Collection, MongoClient } from 'mongodb';
import { createMongoCore } from '../../backends/mongo';
import { cached, defaultKey } from '../../lib';
import { ensureBuiltCli, runCli, tempDir } from './harness';
import { type Standin, startStandin } from '../support/mongo-standin';

/**
 * The `memoir` CLI end to end against a mongo collection (the wire-protocol stand-in, or a
 * real server when MONGODB_URI is set): caches filled by real memoized functions, the built
 * dist/cli.js run as a child process with --mongo-uri/--db/--collection.
 */
jest.setTimeout(30_000);

let standin: Standin | undefined;
let uri: string;
let client: MongoClient;
let collection: Collection;
let runs = 0;
const DB = 'memoir_cli_test';

beforeAll(async () => {
  const built = ensureBuiltCli();
  if (process.env.MONGODB_URI) uri = process.env.MONGODB_URI;
  else {
    standin = await startStandin();
    uri = standin.uri;
  }
  client = new MongoClient(uri, { serverSelectionTimeoutMS: 3_000 });
  await client.connect();
  await built;
}, 60_000);

beforeEach(() => {
  collection = client.db(DB).collection(`cli_${process.pid}_${++runs}`);
});

afterAll(async () => {
  await client?.close();
  await standin?.stop();
});

const memoir = (...args: string[]) =>
  runCli([...args, '--mongo-uri', uri, '--db', DB, '--collection', collection.collectionName]);

/** A memoized function on the collection, with 4 entries stored. */
async function fillArea(name: string) {
  const area = cached((w: number, h: number) => ({ area: w * h }), {
    name,
    backend: 'mongo',
    mongetter: () => collection,
  });
  for (let w = 1; w <= 4; w++) await area(w, 2);
  return area;
}

test('list, inspect, clear-being-calculated, prune and clear on a collection', async () => {
  const area = await fillArea('mongo-area');
  await fillArea('mongo-other');
  const core = createMongoCore({
    name: 'mongo-area',
    options: { mongetter: () => collection },
    report: () => {},
  });
  const now = Date.now();
  await core.acquire('in-flight', { owner: 'worker-7', now, leaseUntil: now + 60_000 });
  await core.write(area.keyFor(1, 2), { area: 2 }, { time: now - 3 * 86_400_000 });

  const list = await memoir('list', '--json');
  expect(list.code).toBe(0);
  expect(list.json.location).toBe(`${DB}.${collection.collectionName}`);
  expect(list.json.caches.map((each: { name: string }) => each.name)).toEqual([
    'mongo-area',
    'mongo-other',
  ]);
  expect(list.json.caches[0]).toMatchObject({
    layout: 'mongo',
    entries: 5,
    completed: 4,
    deadMarks: 0,
  });
  expect(list.json.caches[0].bytes).toBeGreaterThan(0);
  expect(list.json.caches[0].liveMarks).toEqual([
    expect.objectContaining({ key: 'in-flight', owner: 'worker-7' }),
  ]);
  expect(list.json.caches[0].oldest).toBe(now - 3 * 86_400_000);
  const human = await memoir('list');
  expect(human.stdout).toMatch(/mongo-area\s+5\s/);
  expect(human.stdout).toContain('worker-7');

  const inspect = await memoir('inspect', 'mongo-area', '--args', '[2, 2]', '--json');
  expect(inspect.code).toBe(0);
  expect(inspect.json.entries).toEqual([
    expect.objectContaining({ key: defaultKey([2, 2]), completed: true, rendered: '{ area: 4 }' }),
  ]);

  const marks = await memoir('clear-being-calculated', 'mongo-area', '--json');
  expect(marks.json).toMatchObject({ cache: 'mongo-area', cleared: 1 });
  const pruned = await memoir('prune', 'mongo-area', '--older-than', '2d', '--json');
  expect(pruned.json).toMatchObject({ removed: 1 });
  expect(await area.isCached(1, 2)).toBe(false);
  expect(await area.isCached(2, 2)).toBe(true);

  const cleared = await memoir('clear', 'mongo-area', '--json', '--progress');
  expect(cleared.json).toMatchObject({ removed: 3 });
  expect(cleared.stderr).toContain('clearing mongo-area: 1/1 step (100%)');
  expect(await collection.countDocuments({ func: 'mongo-other' })).toBe(4);
  await core.close?.();
});

test('precache stores values the memoized function then hits', async () => {
  const dir = tempDir('mongo');
  try {
    const from = path.join(dir, 'values.json');
    fs.writeFileSync(from, JSON.stringify([{ args: ['eu', 2024], value: { total: 7 } }]));
    const result = await memoir('precache', 'report', '--from', from, '--create', '--json');
    expect(result.code).toBe(0);
    expect(result.json).toMatchObject({
      cache: 'report',
      written: 1,
      keys: [defaultKey(['eu', 2024])],
    });
    const body = jest.fn(async (region: string, year: number) => ({ total: region.length + year }));
    const report = cached(body, { name: 'report', backend: 'mongo', mongetter: () => collection });
    expect(await report('eu', 2024)).toEqual({ total: 7 });
    expect(body).not.toHaveBeenCalled();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown cache name fails with exit 1 and lists the known ones', async () => {
  await fillArea('mongo-known');
  const result = await memoir('clear', 'mongo-unknown', '--json');
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(
    `No cache named "mongo-unknown" in ${DB}.${collection.collectionName} (known caches: mongo-known)`,
  );
  expect(result.json.error.code).toBe('UNKNOWN_CACHE');
});

test('an unreachable server fails fast with exit 1 and a clear message', async () => {
  const port = await closedPort();
  const started = Date.now();
  const result = await runCli([
    'list',
    '--mongo-uri',
    `mongodb://user:secret@127.0.0.1:${port}/app`,
    '--collection',
    'entries',
    '--timeout',
    '300ms',
  ]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(
    `Cannot reach MongoDB at mongodb://user:***@127.0.0.1:${port}/app`,
  );
  expect(result.stderr).not.toContain('secret');
  expect(Date.now() - started).toBeLessThan(5_000);
});

test('mongo options are checked before connecting (exit 2)', async () => {
  const cases: Array<[string[], string]> = [
    [['list', '--mongo-uri', 'mongodb://127.0.0.1:1/x'], '--mongo-uri needs --collection'],
    [
      ['list', '--mongo-uri', 'mongodb://127.0.0.1:1', '--collection', 'c'],
      '--mongo-uri needs --db',
    ],
    [['list', '--mongo-uri', 'http://x', '--collection', 'c'], 'must start with mongodb://'],
    [
      ['list', '--mongo-uri', 'mongodb://h/x', '--collection', 'c', '--cache-dir', '/tmp'],
      'not both',
    ],
    [
      ['list', '--mongo-uri', 'mongodb://h/x', '--collection', 'c', '--timeout', 'x'],
      '--timeout must be',
    ],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(args)));
  results.forEach((result, i) => {
    expect({ args: cases[i][0], code: result.code }).toEqual({ args: cases[i][0], code: 2 });
    expect(result.stderr).toContain(cases[i][1]);
  });
});

/** A port nothing listens on: bound by us, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
