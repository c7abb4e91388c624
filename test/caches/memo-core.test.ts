import { createCache } from '../../lib/caches';
import { kvMemoCore, memoNamespace } from '../../lib/caches/memo';
import type { Core, KeyValueCache } from '../../lib/contract';
import { describeCoreContract } from '../../lib/testing';
import { REDIS_URL } from '../support/redis-fixtures';
import { type ScratchDatabase, scratchSqlite } from '../support/sql-databases';

/**
 * The memo core over a key-value cache (`cached(fn, { backend: cache or alias })`) passes the
 * core contract every built-in core passes, on a store that holds objects (memory) and on
 * stores of bytes, local (SQLite) and on a server (Redis); file caches are exercised through
 * cached() in memoized-in-cache.test.ts, serializer.test.ts and cross-process.test.ts. Leases
 * are the stores' locks, judged on the store's clock: the suite runs in its serverClock mode
 * (real short leases, and a claimant whose clock runs an hour ahead does not take over).
 */
jest.setTimeout(30_000);

const run = `${process.pid}-${Date.now().toString(36)}`;
let sqlite: ScratchDatabase;

beforeAll(async () => {
  sqlite = await scratchSqlite('memo_core');
});

afterAll(async () => {
  await sqlite?.drop();
});

/** The suite against memoized entries stored in `cache`; `damage` overwrites what a key holds. */
function describeOn(label: string, open: () => KeyValueCache, options: { storesByReference?: boolean } = {}): void {
  let cache: KeyValueCache;
  const caches: KeyValueCache[] = [];
  const ensure = () => {
    if (!cache) {
      cache = open();
      caches.push(cache);
    }
    return cache;
  };
  describeCoreContract(label, (name, report) => kvMemoCore({ name, options: {}, report }, { cache: ensure, describe: label }), {
    serverClock: true,
    storesByReference: options.storesByReference,
    corrupt: async (core: Core, key: string) => {
      // Another program wrote bytes of its own under the entry's key.
      const intruder = createCache({ ...openOptions.get(label)!, namespace: memoNamespace(ensure().namespace, core.name) } as never);
      caches.push(intruder);
      await intruder.set(key, Buffer.from('not an entry'));
    },
    teardown: async () => {
      for (const opened of caches) await opened.close();
    },
  });
}

const openOptions = new Map<string, Record<string, unknown>>();
function on(label: string, options: Record<string, unknown>, extra: { storesByReference?: boolean } = {}): void {
  openOptions.set(label, options);
  describeOn(label, () => createCache({ ...options, namespace: `memo-core-${run}` } as never), extra);
}

on('memo entries in a memory cache (values as given)', { backend: 'memory' }, { storesByReference: true });
on('memo entries in a redis cache', { backend: 'redis', redis: REDIS_URL });
on('memo entries in a sqlite cache', { backend: 'sql', get sql() { return sqlite.url; } });
