import * as net from 'node:net';
import { type Collection, MongoClient } from 'mongodb';
import { createMongoCore } from '../../backends/mongo';
import { ensureBuiltCli, runCli } from './harness';
import { describeServerCli } from './server-suite';
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

describeServerCli(() => ({
  prefix: 'mongo',
  layout: 'mongo',
  flags: () => ['--mongo-uri', uri, '--db', DB, '--collection', collection.collectionName],
  options: () => ({ backend: 'mongo', mongetter: () => collection }),
  location: () => `${DB}.${collection.collectionName}`,
  core: (name) =>
    createMongoCore({ name, options: { mongetter: () => collection }, report: () => {} }),
  countEntries: (name) => collection.countDocuments({ func: name }),
}));

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
