import type { KeyParts } from './settings';
import { dataOf, Structure, type StructureOptions } from './structure';

/** What a DictCache's `data` and `update` take: a Map, `[key, value]` pairs, or a plain object. */
export type DictEntries<K, V> = ReadonlyMap<K, V> | Iterable<readonly [K, V]> | (K extends string ? Readonly<Record<K, V>> : never);

function pairsOf<K, V>(entries: DictEntries<K, V>): Array<readonly [K, V]> {
  if (entries instanceof Map || (typeof entries === 'object' && entries !== null && Symbol.iterator in entries)) {
    return [...(entries as Iterable<readonly [K, V]>)];
  }
  return Object.entries(entries as object) as unknown as Array<readonly [K, V]>;
}

/**
 * A cache object that behaves like a Map, stored as one hash (a Redis HASH): `get`, `set`,
 * `has`, `delete`, `size()`, `clear()`, and `keys()`, `values()`, `entries()` and the object
 * itself as async iterables. Keys are any value of the key encoding (`'1'` and `1` are two
 * keys; objects by content), values anything the cache's serializer stores.
 *
 *   const prefs = new DictCache<string, string>(['prefs', userId]);
 *   await prefs.set('theme', 'dark');
 *   for await (const [name, value] of prefs) ...
 */
export class DictCache<K = any, V = any> extends Structure {
  constructor(key: KeyParts, options?: StructureOptions<DictEntries<K, V>>) {
    super(key, dataOf(options));
  }

  protected async initialize(data: unknown): Promise<void> {
    const { backend, key, ttl, members } = this.context();
    const entries = pairsOf((data ?? []) as DictEntries<K, V>).map(([name, value]) => [members.encode(name, 'key'), value] as const);
    await backend.hashSet(key, entries, ttl, true);
  }

  /** The value of `name`, or undefined. */
  async get(name: K): Promise<V | undefined> {
    const { backend, key, members } = await this.operation();
    return (await backend.hashGet(key, members.encode(name, 'key'))) as V | undefined;
  }

  /** Stores `value` under `name` (refreshing the ttl); resolves true when `name` was new. */
  async set(name: K, value: V): Promise<boolean> {
    const { backend, key, ttl, members } = await this.operation();
    return (await backend.hashSet(key, [[members.encode(name, 'key'), value]], ttl, false)) > 0;
  }

  /** Stores every entry in one operation; resolves how many keys were new. */
  async update(entries: DictEntries<K, V>): Promise<number> {
    const { backend, key, ttl, members } = await this.operation();
    const encoded = pairsOf(entries).map(([name, value]) => [members.encode(name, 'key'), value] as const);
    return backend.hashSet(key, encoded, ttl, false);
  }

  async has(name: K): Promise<boolean> {
    const { backend, key, members } = await this.operation();
    return backend.hashHas(key, members.encode(name, 'key'));
  }

  /** Deletes `name`; whether it was there. */
  async delete(name: K): Promise<boolean> {
    const { backend, key, ttl, members } = await this.operation();
    return backend.hashDelete(key, members.encode(name, 'key'), ttl);
  }

  /** How many keys it holds. */
  async size(): Promise<number> {
    const { backend, key } = await this.operation();
    return backend.hashSize(key);
  }

  /** Deletes every key. */
  async clear(): Promise<void> {
    const { backend, key } = await this.operation();
    await backend.delete(key);
  }

  /** `[key, value]` pairs, from one read of the whole dict, in no particular order. */
  async *entries(): AsyncIterableIterator<[K, V]> {
    const { backend, key, members } = await this.operation();
    for (const [name, value] of await backend.hashEntries(key)) yield [members.decode(name) as K, value as V];
  }

  async *keys(): AsyncIterableIterator<K> {
    for await (const [name] of this.entries()) yield name;
  }

  async *values(): AsyncIterableIterator<V> {
    for await (const [, value] of this.entries()) yield value;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<[K, V]> {
    return this.entries();
  }
}
