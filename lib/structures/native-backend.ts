import type { KeyValueCache, StructureAccess } from '../contract';
import type { StructureBackend } from './backend';
import { fromRawStored, rawValue } from './raw';

/**
 * Structures on a backend's own hashes, sets and sorted sets (Redis, memory): each operation is
 * one native operation, with the cache's key building, serializer (or raw text) and timeout.
 */
export function nativeBackend(cache: KeyValueCache, access: StructureAccess, raw: boolean): StructureBackend {
  const encode = raw ? (value: unknown) => rawValue(value, 'value') : (value: unknown) => access.encode(value);
  const decode = raw ? (stored: unknown) => fromRawStored(stored) : (stored: unknown, key: string) => access.decode(stored, key);
  const read = (stored: unknown, key: string) => (stored === undefined ? undefined : decode(stored, key));
  /** A structure's ttl: its class's, else the cache's default. */
  const ttlOf = (ttl: number | undefined) => ttl ?? access.ttl;
  const { run } = access;

  return {
    valueGet(key) {
      const stored = access.keyOf(key);
      return run('get', (native) => native.valueGet(stored)).then((value) => read(value, stored));
    },
    valueSet(key, value, ttl) {
      const stored = access.keyOf(key);
      const encoded = encode(value);
      return run('set', (native) => native.valueSet(stored, encoded, ttlOf(ttl)));
    },
    valueIncrement(key, delta, ttl) {
      const stored = access.keyOf(key);
      return run('increment', (native) => native.valueIncrement(stored, delta, ttlOf(ttl)));
    },
    delete: async (key) => (await cache.delete(key)) > 0,
    exists: (key) => cache.exists(key),
    claim(key, ttl) {
      // SET NX PX (or the memory equivalent), answered without an error for the losers.
      const stored = access.keyOf(key);
      const mark = encode(1);
      return run('claim', (native) => native.valueAdd(stored, mark, ttlOf(ttl)));
    },

    hashGet(key, field) {
      const stored = access.keyOf(key);
      return run('hash get', (native) => native.hashGet(stored, field)).then((value) => read(value, stored));
    },
    hashHas(key, field) {
      const stored = access.keyOf(key);
      return run('hash has', (native) => native.hashHas(stored, field));
    },
    hashSet(key, entries, ttl, replace) {
      const stored = access.keyOf(key);
      const encoded = entries.map(([field, value]) => [field, encode(value)] as const);
      return run('hash set', (native) => native.hashSet(stored, encoded, ttlOf(ttl), replace));
    },
    hashDelete(key, field, ttl) {
      const stored = access.keyOf(key);
      return run('hash delete', (native) => native.hashDelete(stored, field, ttlOf(ttl)));
    },
    hashSize(key) {
      const stored = access.keyOf(key);
      return run('hash size', (native) => native.hashSize(stored));
    },
    async hashEntries(key) {
      const stored = access.keyOf(key);
      const entries = await run('hash entries', (native) => native.hashEntries(stored));
      return entries.map(([field, value]): [string, unknown] => [field, decode(value, stored)]);
    },

    setAdd(key, members, ttl, replace) {
      const stored = access.keyOf(key);
      return run('set add', (native) => native.setAdd(stored, members, ttlOf(ttl), replace));
    },
    setHas(key, member) {
      const stored = access.keyOf(key);
      return run('set has', (native) => native.setHas(stored, member));
    },
    setDelete(key, member, ttl) {
      const stored = access.keyOf(key);
      return run('set delete', (native) => native.setDelete(stored, member, ttlOf(ttl)));
    },
    setSize(key) {
      const stored = access.keyOf(key);
      return run('set size', (native) => native.setSize(stored));
    },
    setMembers(key) {
      const stored = access.keyOf(key);
      return run('set members', (native) => native.setMembers(stored));
    },

    zsetAdd(key, entries, ttl, replace) {
      const stored = access.keyOf(key);
      return run('sorted set add', (native) => native.zsetAdd(stored, entries, ttlOf(ttl), replace));
    },
    zsetScore(key, member) {
      const stored = access.keyOf(key);
      return run('sorted set score', (native) => native.zsetScore(stored, member));
    },
    zsetDelete(key, member, ttl) {
      const stored = access.keyOf(key);
      return run('sorted set delete', (native) => native.zsetDelete(stored, member, ttlOf(ttl)));
    },
    zsetPop(key, max, ttl) {
      const stored = access.keyOf(key);
      return run('sorted set pop', (native) => native.zsetPop(stored, max, ttlOf(ttl)));
    },
    zsetRange(key, start, stop) {
      const stored = access.keyOf(key);
      return run('sorted set range', (native) => native.zsetRange(stored, start, stop));
    },
    zsetSize(key) {
      const stored = access.keyOf(key);
      return run('sorted set size', (native) => native.zsetSize(stored));
    },
  };
}
