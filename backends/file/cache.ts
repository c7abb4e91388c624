import * as path from 'node:path';
import type { CacheStore, CacheStoreFactory } from '../../lib/contract';
import { defaultCacheDirectory, safeFileName } from '../../lib/util';
import { invalidOption, MemoirError } from '../../lib/errors';
import { append, type Change, changeId } from './append';
import { Faults, isFsError } from './faults';
import type { Records } from './format';
import { runAsync } from './io';
import { decodeEnvelope, envelopeOf, isLive, liveEnvelope, NOT_A_NUMBER, TAG_LOCK, encodeEnvelope, storedValue } from './kv-records';
import { type Layout, listDataFiles, shardedLayout } from './layout';
import { load } from './reader';
import { reset } from './replace';
import { type StoreContext, storeContext } from './store';
import { waitForFile } from './watch';

/**
 * The file key-value store: the file core's log (append.ts, log.ts) with key-value commands as
 * changes (kv-records.ts). Each command is one O_APPEND of one frame; every process replays the
 * same frames in the same order, so `add`, `increment` and compare-and-set have exactly one
 * outcome across processes without a lock, and a reader never sees half a value.
 *
 * A namespace is a directory, `<cacheDir>/.kv/<namespace>/` (dot-named, so `memoir list` of
 * memoized functions never mistakes it for one), holding 64 shards; locks live in its `locks/`
 * subdirectory, so `clear` (which resets the shards) leaves held locks alone.
 */

/** Expired entries nobody touches again are purged from a shard every this many appends. */
const PURGE_EVERY = 1_000;

interface Shards {
  context: StoreContext;
  layout: Layout;
  appends: Map<string, number>;
}

function shards(dir: string, faults: Faults): Shards {
  const layout = shardedLayout(dir);
  return { context: storeContext(dir, layout, faults), layout, appends: new Map() };
}

export const createFileStore: CacheStoreFactory = ({ namespace, clock, options, report }) => {
  const { cacheDir } = options;
  if (cacheDir !== undefined && (typeof cacheDir !== 'string' || cacheDir === '')) {
    throw invalidOption('cacheDir', cacheDir, 'a non-empty directory path');
  }
  const root = path.resolve((cacheDir as string | undefined) ?? defaultCacheDirectory());
  const dir = path.join(root, '.kv', safeFileName(namespace));
  const faults = new Faults(`kv:${namespace}`, report, false);
  const data = shards(dir, faults);
  const locks = shards(path.join(dir, 'locks'), faults);

  /** Appends one command and resolves its outcome; fs failures reject with BACKEND_ERROR. */
  async function run(target: Shards, key: string, cmd: string, bytes: Buffer | null, arg: number | string | null, id = changeId()): Promise<unknown> {
    const file = target.layout.fileFor(key);
    const change: Change = { op: 'kv', id, key, cmd, now: clock(), bytes, arg };
    try {
      await maybePurge(target, file);
      return await runAsync(append(target.context, file, change));
    } catch (error) {
      throw failure(error, `${cmd} ${JSON.stringify(key)}`, file);
    }
  }

  async function maybePurge(target: Shards, file: string): Promise<void> {
    const count = (target.appends.get(file) ?? 0) + 1;
    target.appends.set(file, count);
    if (count % PURGE_EVERY !== 0) return;
    await runAsync(append(target.context, file, { op: 'kv', id: changeId(), key: '', cmd: 'purge', now: clock(), bytes: null, arg: null }));
  }

  function failure(error: unknown, what: string, location: string): unknown {
    if (error instanceof MemoirError || !isFsError(error)) return error;
    return new MemoirError('BACKEND_ERROR', `file cache "${namespace}": cannot ${what} in ${location} (${error.code}: ${error.message}).`, { cause: error });
  }

  async function readFrom(target: Shards, key: string) {
    const file = target.layout.fileFor(key);
    try {
      return liveEnvelope((await runAsync(load(target.context, file))).records, key, clock());
    } catch (error) {
      throw failure(error, `read ${JSON.stringify(key)}`, file);
    }
  }
  const read = (key: string) => readFrom(data, key);

  const lockEnvelope = (owner: string, lease: number) => encodeEnvelope(TAG_LOCK, clock() + lease, '', Buffer.from(owner, 'utf8'));
  const expiryOf = (ttl: number | undefined) => (ttl === undefined ? 0 : clock() + ttl);

  const store: CacheStore = {
    backend: 'file',
    async get(key) {
      const envelope = await read(key);
      return envelope && storedValue(envelope);
    },
    async multiGet(keys) {
      // One read of each shard involved, however many of the keys it holds.
      const now = clock();
      const byFile = new Map<string, Records>();
      const out: unknown[] = [];
      for (const key of keys) {
        const file = data.layout.fileFor(key);
        let records = byFile.get(file);
        if (!records) {
          try {
            records = (await runAsync(load(data.context, file))).records;
          } catch (error) {
            throw failure(error, 'read', file);
          }
          byFile.set(file, records);
        }
        const envelope = liveEnvelope(records, key, now);
        out.push(envelope && storedValue(envelope));
      }
      return out;
    },
    async set(key, value, ttl) {
      const id = changeId();
      await run(data, key, 'set', envelopeOf(value, expiryOf(ttl), id), null, id);
    },
    async add(key, value, ttl) {
      if (await read(key)) return false; // present as of this read: a valid "no", without a frame
      const id = changeId();
      return (await run(data, key, 'add', envelopeOf(value, expiryOf(ttl), id), null, id)) === true;
    },
    async multiSet(entries, ttl) {
      const expiresAt = expiryOf(ttl);
      for (const [key, value] of entries) {
        const id = changeId();
        await run(data, key, 'set', envelopeOf(value, expiresAt, id), null, id);
      }
    },
    async exists(key) {
      return (await read(key)) !== undefined;
    },
    async increment(key, delta) {
      const result = await run(data, key, 'incr', null, delta);
      if (result === NOT_A_NUMBER) {
        throw new MemoirError('NOT_A_NUMBER', `file cache "${namespace}": the value of ${JSON.stringify(key)} is not an integer (or the sum leaves the safe integer range).`);
      }
      return result as number;
    },
    async expire(key, ttl) {
      return (await run(data, key, 'expire', null, expiryOf(ttl))) === true;
    },
    async delete(key) {
      return (await run(data, key, 'del', null, null)) as number;
    },
    async clear() {
      let files: string[];
      try {
        files = await runAsync(listDataFiles(dir, data.layout));
        for (const file of files) await runAsync(reset(data.context, file));
      } catch (error) {
        throw failure(error, 'clear', dir);
      }
    },
    async keys() {
      const now = clock();
      const keys: string[] = [];
      try {
        for (const file of await runAsync(listDataFiles(dir, data.layout))) {
          for (const [key, record] of (await runAsync(load(data.context, file))).records) {
            if (isLive(decodeEnvelope(record.bytes), now)) keys.push(key);
          }
        }
      } catch (error) {
        throw failure(error, 'list the keys', dir);
      }
      return keys;
    },
    async getVersioned(key) {
      const envelope = await read(key);
      return envelope ? { value: storedValue(envelope), version: envelope.version } : { value: undefined, version: undefined };
    },
    async compareAndSet(key, value, version, ttl) {
      const id = changeId();
      const won = await run(data, key, 'cas', envelopeOf(value, expiryOf(ttl), id), version ?? null, id);
      return typeof won === 'string' ? won : undefined;
    },
    async tryLock(name, owner, lease) {
      // A lock seen held by someone else is a valid "no" as of that read, and appending a
      // doomed claim would only grow the log and wake every waiter of the shard (this one too).
      const held = await readFrom(locks, name);
      if (held && held.payload.toString('utf8') !== owner) return false;
      return (await run(locks, name, 'lock', lockEnvelope(owner, lease), owner)) === true;
    },
    async renewLock(name, owner, lease) {
      return (await run(locks, name, 'renew', lockEnvelope(owner, lease), owner)) === true;
    },
    async unlock(name, owner) {
      return (await run(locks, name, 'unlock', null, owner)) === true;
    },
    waitForUnlock(name, maxMs) {
      const file = locks.layout.fileFor(name);
      return waitForFile(path.dirname(file), path.basename(file), maxMs).promise;
    },
    close() {
      data.context.indexes.clear();
      locks.context.indexes.clear();
    },
  };
  return store;
};
