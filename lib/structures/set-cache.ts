import type { KeyParts } from './settings';
import { dataOf, Structure, type StructureOptions } from './structure';

/**
 * A cache object that behaves like a Set, stored as one set (a Redis SET): `add`, `has`,
 * `delete`, `size()`, `clear()`, and `values()` (also `keys()`, `entries()` and the object
 * itself) as async iterables. Members are compared by value through the key encoding.
 *
 * `add` resolves whether the member was new: atomic across processes, so it answers "first
 * time seen?" without a race (Set's `has` then `add` would have one).
 */
export class SetCache<T = any> extends Structure {
  constructor(key: KeyParts, options?: StructureOptions<Iterable<T>>) {
    super(key, dataOf(options));
  }

  protected async initialize(data: unknown): Promise<void> {
    const { backend, key, ttl, members } = this.context();
    const texts = [...((data ?? []) as Iterable<T>)].map((member) => members.encode(member, 'member'));
    await backend.setAdd(key, texts, ttl, true);
  }

  /** Adds `member` (refreshing the ttl); true when it was new. */
  async add(member: T): Promise<boolean> {
    const { backend, key, ttl, members } = await this.operation();
    return (await backend.setAdd(key, [members.encode(member, 'member')], ttl, false)) > 0;
  }

  async has(member: T): Promise<boolean> {
    const { backend, key, members } = await this.operation();
    return backend.setHas(key, members.encode(member, 'member'));
  }

  /** Removes `member`; whether it was there. */
  async delete(member: T): Promise<boolean> {
    const { backend, key, ttl, members } = await this.operation();
    return backend.setDelete(key, members.encode(member, 'member'), ttl);
  }

  async size(): Promise<number> {
    const { backend, key } = await this.operation();
    return backend.setSize(key);
  }

  /** Removes every member. */
  async clear(): Promise<void> {
    const { backend, key } = await this.operation();
    await backend.delete(key);
  }

  /** The members, from one read of the whole set, in no particular order. */
  async *values(): AsyncIterableIterator<T> {
    const { backend, key, members } = await this.operation();
    for (const text of await backend.setMembers(key)) yield members.decode(text) as T;
  }

  /** The members, like Set's `keys()`. */
  keys(): AsyncIterableIterator<T> {
    return this.values();
  }

  /** `[member, member]` pairs, like Set's `entries()`. */
  async *entries(): AsyncIterableIterator<[T, T]> {
    for await (const member of this.values()) yield [member, member];
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this.values();
  }
}
