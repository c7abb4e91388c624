import { createHash, randomBytes } from 'node:crypto';
import type { CacheStore, CacheStoreFactory } from '../../lib/contract';
import { MemoirError } from '../../lib/errors';
import { forEachPage, unlinkAll } from './bulk';
import { connect } from './connections';
import type { Dedicated, RedisPort } from './port';
import { runScript, type Script } from './scripts';
import { kvKeys } from './kv-keys';
import { slotOf } from './slot';
import { redisStructures, safeIncrement } from './structures';

/**
 * The Redis key-value store: each command is the native one (GET, SET [NX] [PX], MGET, EXISTS,
 * PEXPIRE, UNLINK), on the key `namespace:key` as the cache builds it, its namespace part
 * percent-encoded where it holds `%` or `:` (kv-keys.ts), so no namespace meets another. Values
 * are stored exactly as the serializer produced them, so other clients read them: JSON text
 * under 'json', the digits of an integer (INCRBY works on them) under every serializer.
 *
 * - increment is one INCRBY; a reply near 2^53 is checked (safeIncrement in structures.ts) and
 *   a sum past the safe integer range, which no reader could read as a number, taken back.
 * - multiGet is one MGET: one round trip on a single node, one per slot group on a cluster.
 * - clear SCANs `<namespace>:*` page by page on every master and UNLINKs each page (per slot on
 *   a cluster): never KEYS or FLUSHDB, and nothing outside the namespace.
 * - Locks are `memoir:kv-lock:<kind>:<namespace>:<key>` keys (kind `lock` for lock(), `fill`
 *   for getOrSet, `memo` for memoized functions; outside every namespace, so `clear` leaves
 *   them): SET NX PX with an owner token, renew and release owner-checked by script, leases on
 *   the server's clock; a release PUBLISHes so waiters wake without polling.
 * - optimisticLock is Redis's own: WATCH on a connection of memoir's own, then MULTI/SET/EXEC,
 *   which fails if anyone (any client) wrote the key meanwhile, even the same bytes.
 * - The data-structure caches use Redis's own hashes, sets and sorted sets (structures.ts).
 */
const UNLOCKED_CHANNEL = 'memoir:kv-unlocked';
/** An optimistic read not followed by cas within this long lets its connection go (cas then conflicts). */
const HOLD_MS = 60_000;
/** Idle WATCH connections kept for the next optimistic read (single node only). */
const IDLE_DEDICATED = 2;

interface Replies {
  /** Commands sent and not answered. */
  pending: number;
  /** Since when some command has been waiting without a break. */
  pendingSince: number;
  lastReplyAt: number;
}

/** `port`, counting the commands in flight and noting when the last one was answered. */
function noteReplies(port: RedisPort, replies: Replies): RedisPort {
  const settled = () => {
    replies.pending--;
    replies.lastReplyAt = Date.now();
  };
  const noted = <T>(work: Promise<T>): Promise<T> => {
    if (replies.pending++ === 0) replies.pendingSince = Date.now();
    work.then(settled, settled);
    return work;
  };
  return {
    ...port,
    get label() {
      return port.label;
    },
    mget: (keys) => noted(port.mget(keys)),
    evalsha: (sha, keys, args) => noted(port.evalsha(sha, keys, args)),
    eval: (source, keys, args) => noted(port.eval(source, keys, args)),
    unlink: (keys) => noted(port.unlink(keys)),
    command: (firstKey, args) => noted(port.command(firstKey, args)),
    scan: (pattern, count) => port.scan(pattern, count),
    openSubscriber: () => port.openSubscriber(),
    dedicated: (key) => port.dedicated(key),
    publish: (channel, message) => port.publish(channel, message),
    close: () => port.close(),
  };
}

function script(name: string, source: string): Script {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/** KEYS: lock. ARGV: owner, lease ms. Free, or already the owner's: (re)take it. */
const TRY_LOCK = script(
  'kv-try-lock',
  `local holder = redis.call('GET', KEYS[1])
if holder == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`,
);

/** KEYS: lock. ARGV: owner, lease ms. */
const RENEW_LOCK = script(
  'kv-renew-lock',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`,
);

/** KEYS: lock. ARGV: owner, channel, message. */
const UNLOCK = script(
  'kv-unlock',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0`,
);

/** KEYS: key. PERSIST answers 0 for a key without expiry too: expire(key, 0) needs "exists". */
const PERSIST_IF_EXISTS = script(
  'kv-persist',
  `if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('PERSIST', KEYS[1]) return 1 end
return 0`,
);

/**
 * KEYS: key. ARGV: '1' if a value is expected (else the key must be absent), the expected
 * bytes, '1' if a value replaces it (else the key is deleted), the new bytes, PX ms or ''.
 */
const SWAP = script(
  'kv-swap',
  `local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return 0 end
elseif current ~= false then return 0 end
if ARGV[3] ~= '1' then redis.call('DEL', KEYS[1]) return 1 end
if ARGV[5] == '' then redis.call('SET', KEYS[1], ARGV[4]) else redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5]) end
return 1`,
);

const px = (ttl: number | undefined): string[] => (ttl === undefined ? [] : ['PX', String(Math.max(1, Math.ceil(ttl)))]);

/** What Redis stores for a value: bytes and text as they are, numbers as their digits. */
function toRedis(value: unknown): string | Buffer {
  if (Buffer.isBuffer(value) || typeof value === 'string') return value;
  return String(value);
}

const orUndefined = (value: unknown) => value ?? undefined;
const isNotInteger = (error: unknown) => /not an integer|out of range|overflow/i.test(String((error as Error)?.message ?? error));

interface Held {
  key: string;
  connection: Dedicated;
  timer: NodeJS.Timeout;
}

export const createRedisStore: CacheStoreFactory = ({ namespace, timeout, options }) => {
  const { redis } = options;
  if (redis === undefined || redis === null) {
    throw new MemoirError(
      'INVALID_OPTION',
      "Invalid option \"redis\": a redis cache needs a URL ('redis://host:6379/0'), { url, ...clientOptions }, or a node-redis or ioredis client.",
    );
  }
  const connection = connect(redis, timeout > 0 ? timeout : 5_000);
  // The cache bounds every command (a call may set its own timeout); the port only notes what
  // is in flight and when a reply last came, so that a timeout while commands wait and nothing
  // answers drops a connection gone silent (never a timeout spent in a slow plugin).
  const replies = { pending: 0, pendingSince: 0, lastReplyAt: 0 };
  const port = noteReplies(connection.port, replies);
  const held = new Map<string, Held>();
  const idle: Dedicated[] = [];
  let closed = false;

  /** Server and network failures are BACKEND_ERROR naming the namespace and command; TIMEOUT stays TIMEOUT. */
  async function run<T>(operation: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      return failed(operation, error);
    }
  }

  function failed(operation: string, error: unknown): never {
    if (error instanceof MemoirError) throw error;
    throw new MemoirError('BACKEND_ERROR', `redis cache "${namespace}": ${operation} on ${port.label} failed: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    });
  }

  const command = (key: string | undefined, args: Array<string | Buffer>) => run(String(args[0]), () => port.command(key, args));
  // Keys arrive as the cache built them (`namespace:key`); `at` gives the Redis key of one.
  const layout = kvKeys(namespace);
  const at = layout.toRedis;
  const lockKey = layout.lock;

  async function multiGet(built: readonly string[]): Promise<unknown[]> {
    const keys = built.map(at);
    if (!port.cluster) return (await run('MGET', () => port.mget(keys))).map((value) => value ?? undefined);
    // A cluster answers MGET only within one slot: one MGET per slot group, all at once.
    const bySlot = new Map<number, number[]>();
    keys.forEach((key, i) => {
      const slot = slotOf(port.keyPrefix + key);
      const group = bySlot.get(slot);
      if (group) group.push(i);
      else bySlot.set(slot, [i]);
    });
    const out = new Array<unknown>(keys.length);
    await Promise.all(
      [...bySlot.values()].map(async (indexes) => {
        const values = await run('MGET', () => port.mget(indexes.map((i) => keys[i])));
        indexes.forEach((index, j) => {
          out[index] = values[j] ?? undefined;
        });
      }),
    );
    return out;
  }

  async function dedicated(key: string): Promise<Dedicated> {
    const reused = port.cluster ? undefined : idle.pop();
    return reused ?? run('connecting for WATCH', () => port.dedicated(key));
  }

  /** A WATCH connection is done with: kept for the next read (single node), else closed. */
  function recycle(connection: Dedicated): void {
    if (closed || port.cluster || idle.length >= IDLE_DEDICATED) {
      connection.close().catch(() => undefined);
      return;
    }
    idle.push(connection);
    // A spare that loses its server is dropped, never handed out.
    connection.lost.then(() => {
      const at = idle.indexOf(connection);
      if (at >= 0) idle.splice(at, 1);
    });
  }

  /** WATCHes `key` and reads it on `connection`; the read stays valid while the watch holds. */
  async function watch(key: string, connection: Dedicated): Promise<{ value: unknown; version: string }> {
    await connection.command(['WATCH', key]);
    const value = (await connection.command(['GET', key])) as Buffer | null;
    const version = randomBytes(9).toString('base64url');
    const timer = setTimeout(() => release(version), HOLD_MS);
    timer.unref();
    held.set(version, { key, connection, timer });
    return { value: value ?? undefined, version };
  }

  function release(version: string): Held | undefined {
    const entry = held.get(version);
    if (!entry) return undefined;
    held.delete(version);
    clearTimeout(entry.timer);
    return entry;
  }

  const store: CacheStore = {
    backend: 'redis',
    textual: true,
    structures: redisStructures(port, run, layout),
    timedOut(startedAt) {
      // Commands wait and nothing came back since: the server (or the network) went silent.
      if (replies.pending > 0 && replies.lastReplyAt < Math.max(startedAt, replies.pendingSince)) connection.port.suspect?.();
    },
    // The hot path: one GET, no wrapper but the error's.
    get: (built) => {
      const key = at(built);
      return port.command(key, ['GET', key]).then(orUndefined, (error) => failed('GET', error));
    },
    multiGet,
    async set(built, value, ttl) {
      const key = at(built);
      await command(key, ['SET', key, toRedis(value), ...px(ttl)]);
    },
    add: async (built, value, ttl) => {
      const key = at(built);
      return (await command(key, ['SET', key, toRedis(value), 'NX', ...px(ttl)])) !== null;
    },
    async multiSet(entries, ttl) {
      // Issued in one tick: the client pipelines them (one write, replies in order).
      await Promise.all(
        entries.map(([built, value]) => {
          const key = at(built);
          return command(key, ['SET', key, toRedis(value), ...px(ttl)]);
        }),
      );
    },
    exists: async (built) => {
      const key = at(built);
      return (await command(key, ['EXISTS', key])) === 1;
    },
    async increment(built, delta) {
      try {
        return await safeIncrement(port, at(built), built, delta);
      } catch (error) {
        if (error instanceof MemoirError) throw error; // the sum left the safe range
        if (!isNotInteger(error)) return run('INCRBY', () => Promise.reject(error));
        throw new MemoirError('NOT_A_NUMBER', `redis cache "${namespace}": the value of ${JSON.stringify(built)} is not an integer.`, { cause: error });
      }
    },
    async expire(built, ttl) {
      const key = at(built);
      if (ttl === undefined) return (await run('PERSIST', () => runScript(port, PERSIST_IF_EXISTS, [key], []))) === 1;
      return (await command(key, ['PEXPIRE', key, String(Math.max(1, Math.ceil(ttl)))])) === 1;
    },
    delete: async (built) => {
      const key = at(built);
      return Number(await command(key, ['UNLINK', key]));
    },
    async clear() {
      if (namespace === '') {
        throw new MemoirError(
          'UNSUPPORTED',
          'redis cache: clear() needs a namespace: without one, every key of the database would be this cache\'s. Give the cache a `namespace`.',
        );
      }
      await run('clear (SCAN + UNLINK)', () =>
        forEachPage(port, layout.pattern(port.keyPrefix), async (keys) => {
          await unlinkAll(port, keys);
        }),
      );
    },
    async keys() {
      if (namespace === '') {
        throw new MemoirError('UNSUPPORTED', "redis cache: listing keys needs a namespace: without one, every key of the database would be this cache's.");
      }
      const keys: string[] = [];
      await run('keys (SCAN)', () =>
        forEachPage(port, layout.pattern(port.keyPrefix), async (page) => {
          for (const key of page) keys.push(layout.fromRedis(key));
        }),
      );
      return keys;
    },
    swap: async (built, expected, next, ttl) => {
      const args = [
        expected === undefined ? '0' : '1',
        expected === undefined ? '' : toRedis(expected),
        next === undefined ? '0' : '1',
        next === undefined ? '' : toRedis(next),
        ttl === undefined ? '' : String(Math.max(1, Math.ceil(ttl))),
      ];
      return (await run('swap', () => runScript(port, SWAP, [at(built)], args))) === 1;
    },
    raw: (name, args) => {
      const first = typeof args[0] === 'string' ? args[0] : undefined;
      return command(first, [name, ...args.map((arg) => (Buffer.isBuffer(arg) ? arg : String(arg)))]);
    },
    async getVersioned(built) {
      const key = at(built);
      const connection = await dedicated(key);
      try {
        return await run('WATCH + GET', () => watch(key, connection));
      } catch (error) {
        connection.close().catch(() => undefined);
        throw error;
      }
    },
    async compareAndSet(built, value, version, ttl) {
      const key = at(built);
      const entry = version === undefined ? undefined : release(version);
      if (!entry || entry.key !== key) return undefined; // not this store's read, or it was let go
      const { connection } = entry;
      try {
        await connection.command(['MULTI']);
        await connection.command(['SET', key, toRedis(value), ...px(ttl)]);
        const outcome = await run('EXEC', () => connection.command(['EXEC']));
        if (outcome === null) {
          recycle(connection); // EXEC ended the watch either way
          return undefined;
        }
        // Watch again for a following cas of the same reader: it holds while the key still has
        // the bytes just written (a write between EXEC and this WATCH that changed them conflicts).
        const next = await run('WATCH + GET', () => watch(key, connection));
        const written = toRedis(value);
        const same = Buffer.isBuffer(next.value) && next.value.equals(Buffer.isBuffer(written) ? written : Buffer.from(written));
        if (same) return next.version;
        recycle(release(next.version)!.connection);
        return randomBytes(9).toString('base64url'); // stored; a later cas of this reader conflicts
      } catch (error) {
        connection.close().catch(() => undefined);
        throw error;
      }
    },
    tryLock: async (name, owner, lease) => (await run('lock', () => runScript(port, TRY_LOCK, [lockKey(name)], [owner, String(Math.ceil(lease))]))) === 1,
    renewLock: async (name, owner, lease) => (await run('lock renewal', () => runScript(port, RENEW_LOCK, [lockKey(name)], [owner, String(Math.ceil(lease))]))) === 1,
    unlock: async (name, owner) => (await run('unlock', () => runScript(port, UNLOCK, [lockKey(name)], [owner, UNLOCKED_CHANNEL, lockKey(name)]))) === 1,
    waitForUnlock: (name, maxMs) => connection.feed.wait(UNLOCKED_CHANNEL, lockKey(name), maxMs),
    async close() {
      if (closed) return;
      closed = true;
      for (const version of [...held.keys()]) await release(version)?.connection.close();
      for (const spare of idle.splice(0)) await spare.close();
      await connection.release();
    },
  };
  return store;
};
