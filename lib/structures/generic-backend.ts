import type { KeyValueCache } from '../contract';
import { MemoirError } from '../errors';
import { ScoredMembers, sleep } from '../util';
import { claimOn, type StructureBackend } from './backend';
import { fromRawStored, rawValue } from './raw';
import { check, loadDict, loadSet, loadZset, type StoredStructure, saveDict, saveSet, saveZset } from './stored-structure';

/**
 * Structures on the key-value commands of any cache (file, SQL, mongo, a custom backend): a
 * ValueCache is the plain key (get, set, increment); a dict, set or sorted set is ONE stored
 * value (stored-structure.ts) that every write replaces by compare-and-set — read it with its
 * version (`optimisticLock`), change it here, `cas` it back with the structure's ttl; a writer
 * that lost to another retries on the new version. So every write is atomic across processes,
 * and each popped member goes to exactly one caller. A read is one `get`.
 *
 * The cost is the whole structure per operation (read, decode, encode, write): fine for the
 * hundreds to few thousands of members such caches usually hold, and the reason Redis (and
 * memory) keep them natively.
 */

/** Attempts of one write before it gives up with LOCK_CONFLICT; with the backoff, seconds of contention. */
const MAX_ATTEMPTS = 200;
/** The longest pause between attempts, ms. */
const MAX_BACKOFF_MS = 25;

type Change<T> = (stored: unknown) => { next?: StoredStructure; result: T };

export function genericBackend(cache: KeyValueCache, raw: boolean): StructureBackend {
  const encode = raw ? (value: unknown) => rawValue(value, 'value') : (value: unknown) => value;
  const decode = raw ? fromRawStored : (value: unknown) => value;

  const serializer = () => (cache as { serializer?: unknown }).serializer;
  const unsupported = (cause?: unknown) =>
    new MemoirError(
      'UNSUPPORTED',
      `A DictCache, SetCache or SortedSetCache on a ${String((cache as { backend?: unknown }).backend ?? 'key-value')} cache is stored as one value, which serializer '${serializer()}' cannot hold. ` +
        "Give that cache a serializer that keeps objects ('v8', 'json', 'msgpack' or your own).",
      { cause },
    );

  /** The structure as one value needs a serializer that keeps objects ('string' would store "[object Object]"). */
  function assertKeepsObjects(): void {
    if (serializer() === 'string') throw unsupported();
  }

  /** A write of the structure; 'none' on a store of bytes refuses objects, said in the structures' terms. */
  async function store<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (error) {
      if ((error as { code?: string })?.code === 'SERIALIZATION_FAILED' && serializer() === 'none') throw unsupported(error);
      throw error;
    }
  }

  /** Replaces whatever the key holds by `structure`: one plain `set`. */
  async function replaceWith(key: string, ttl: number | undefined, structure: StoredStructure, count: number): Promise<number> {
    assertKeepsObjects();
    await store(cache.set(key, structure, { ttl }));
    return count;
  }

  async function read(key: string): Promise<unknown> {
    assertKeepsObjects();
    return cache.get(key);
  }

  /** One write of the structure at `key`: read with its version, change, compare-and-set; again on conflict. */
  async function update<T>(key: string, ttl: number | undefined, change: Change<T>): Promise<T> {
    assertKeepsObjects();
    for (let attempt = 1; ; attempt++) {
      const current = await cache.optimisticLock(key);
      const { next, result } = change(current.value);
      if (next === undefined) return result; // nothing to write (a pop of an empty set, a delete of an absent member)
      try {
        await store(current.cas(next, { ttl }));
        return result;
      } catch (error) {
        if ((error as { code?: string })?.code !== 'LOCK_CONFLICT') throw error;
        if (attempt >= MAX_ATTEMPTS) {
          throw new MemoirError('LOCK_CONFLICT', `Key ${JSON.stringify(key)} was changed by others during ${MAX_ATTEMPTS} attempts of one write; try again.`, {
            cause: error,
          });
        }
      }
      // Randomized and growing, so contending writers spread out instead of colliding again.
      await sleep(Math.random() * Math.min(2 ** attempt, MAX_BACKOFF_MS));
    }
  }

  return {
    valueGet: async (key) => {
      const stored = await cache.get(key);
      return stored === undefined ? undefined : decode(stored);
    },
    valueSet: async (key, value, ttl) => {
      await cache.set(key, encode(value), { ttl });
    },
    async valueIncrement(key, delta, ttl) {
      // The sum is atomic on every backend; the ttl follows in a second command.
      const next = await cache.increment(key, delta);
      const expiry = ttl ?? cache.ttl;
      if (expiry !== undefined) await cache.expire(key, expiry);
      return next;
    },
    delete: async (key) => (await cache.delete(key)) > 0,
    exists: (key) => cache.exists(key),
    claim: (key, ttl) => claimOn(cache, key, ttl),

    async hashGet(key, field) {
      const entries = check(await read(key), 'dict', key)?.entries ?? [];
      for (const [name, value] of entries) if (name === field) return decode(value);
      return undefined;
    },
    hashHas: async (key, field) => (check(await read(key), 'dict', key)?.entries ?? []).some(([name]) => name === field),
    hashSet: async (key, entries, ttl, replace) => {
      const encoded = entries.map(([field, value]) => [field, encode(value)] as const);
      if (replace) {
        const dict = new Map<string, unknown>(encoded);
        return replaceWith(key, ttl, saveDict(dict), dict.size);
      }
      if (encoded.length === 0) return 0;
      return update(key, ttl, (stored) => {
        const dict = loadDict(stored, key);
        let added = 0;
        for (const [field, value] of encoded) {
          if (!dict.has(field)) added++;
          dict.set(field, value);
        }
        return { next: saveDict(dict), result: added };
      });
    },
    hashDelete: (key, field, ttl) =>
      update(key, ttl, (stored) => {
        const dict = loadDict(stored, key);
        return dict.delete(field) ? { next: saveDict(dict), result: true } : { result: false };
      }),
    hashSize: async (key) => check(await read(key), 'dict', key)?.entries.length ?? 0,
    hashEntries: async (key) => (check(await read(key), 'dict', key)?.entries ?? []).map(([field, value]): [string, unknown] => [field, decode(value)]),

    setAdd: (key, members, ttl, replace) => {
      if (replace) {
        const set = new Set(members);
        return replaceWith(key, ttl, saveSet(set), set.size);
      }
      if (members.length === 0) return Promise.resolve(0);
      return update(key, ttl, (stored) => {
        const set = loadSet(stored, key);
        const before = set.size;
        for (const member of members) set.add(member);
        return { next: saveSet(set), result: set.size - before };
      });
    },
    setHas: async (key, member) => (check(await read(key), 'set', key)?.members ?? []).includes(member),
    setDelete: (key, member, ttl) =>
      update(key, ttl, (stored) => {
        const set = loadSet(stored, key);
        return set.delete(member) ? { next: saveSet(set), result: true } : { result: false };
      }),
    setSize: async (key) => check(await read(key), 'set', key)?.members.length ?? 0,
    setMembers: async (key) => [...(check(await read(key), 'set', key)?.members ?? [])],

    zsetAdd: (key, entries, ttl, replace) => {
      if (replace) {
        const zset = ScoredMembers.from(entries);
        return replaceWith(key, ttl, saveZset(zset), zset.size);
      }
      if (entries.length === 0) return Promise.resolve(0);
      return update(key, ttl, (stored) => {
        const zset = loadZset(stored, key);
        let added = 0;
        for (const [score, member] of entries) if (zset.add(score, member)) added++;
        return { next: saveZset(zset), result: added };
      });
    },
    async zsetScore(key, member) {
      for (const [score, name] of check(await read(key), 'zset', key)?.entries ?? []) if (name === member) return score;
      return undefined;
    },
    zsetDelete: (key, member, ttl) =>
      update(key, ttl, (stored) => {
        const zset = loadZset(stored, key);
        return zset.delete(member) ? { next: saveZset(zset), result: true } : { result: false };
      }),
    zsetPop: (key, max, ttl) =>
      update(key, ttl, (stored) => {
        const zset = loadZset(stored, key);
        const popped = zset.pop(max);
        return popped ? { next: saveZset(zset), result: popped } : { result: undefined };
      }),
    zsetRange: async (key, start, stop) => loadZset(await read(key), key).range(start, stop),
    zsetSize: async (key) => check(await read(key), 'zset', key)?.entries.length ?? 0,
  };
}
