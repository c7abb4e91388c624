import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeConnections, FileCache, type KeyValueCache, MemoryCache, MongoCache, SqlCache } from '../../lib';
import { describeStructureContract } from '../../lib/testing/structure-contract';
import { type Standin, startStandin } from '../support/mongo-standin';
import { ENGINES, SCRATCH, type ScratchDatabase } from '../support/sql-databases';

/**
 * The data-structure suite on every backend but Redis (test/structures/redis.test.ts): memory
 * (native: Maps, Sets and sorted arrays in the slot), and the structures built on the
 * key-value commands (one value per structure, compare-and-set) on file, the mongo stand-in,
 * SQLite, PostgreSQL and MariaDB, plus that same path on memory with its native structures
 * hidden, so the generic path also runs on the fastest store.
 */
jest.setTimeout(30_000);

describeStructureContract('memory', (options) => new MemoryCache(options), { fakeTime: true });

/** A memory cache seen without its `structures`: the path every non-native backend takes. */
function withoutNativeStructures(cache: KeyValueCache): KeyValueCache {
  return new Proxy(cache, { get: (target, name) => (name === 'structures' ? undefined : Reflect.get(target, name)) });
}
describeStructureContract('memory, on the key-value commands', (options) => withoutNativeStructures(new MemoryCache(options)), { fakeTime: true });

const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-structures-'));
describeStructureContract('file', (options) => new FileCache({ ...options, cacheDir }), {
  fakeTime: true,
  teardown: () => fs.rmSync(cacheDir, { recursive: true, force: true }),
});

let standin: Standin | undefined;
describeStructureContract(
  'mongo (stand-in)',
  async (options) => {
    standin ??= await startStandin();
    return new MongoCache({ ...options, mongetter: { uri: standin.uri, db: 'memoir_structures', collection: `kv_${process.pid}` } });
  },
  { fakeTime: true, teardown: () => standin?.stop() },
);

const databases = new Map<string, ScratchDatabase>();
for (const engine of ENGINES) {
  describeStructureContract(
    `sql (${engine})`,
    async (options) => {
      if (!databases.has(engine)) databases.set(engine, await SCRATCH[engine]('structures'));
      return new SqlCache({ ...options, sql: databases.get(engine)!.url });
    },
    {
      teardown: async () => {
        await closeConnections();
        await databases.get(engine)?.drop();
      },
    },
  );
}
