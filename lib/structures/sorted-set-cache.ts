import { describe, MemoirError } from '../errors';
import type { KeyParts } from './settings';
import { dataOf, type Operation, Structure, type StructureOptions } from './structure';

function checkScore(score: unknown): number {
  if (typeof score === 'number' && Number.isFinite(score)) return score;
  throw new MemoirError('INVALID_ARGUMENT', `Invalid argument "score": got ${describe(score)}; expected a finite number.`);
}

function checkRank(name: string, rank: unknown): number {
  if (Number.isSafeInteger(rank)) return rank as number;
  throw new MemoirError('INVALID_ARGUMENT', `Invalid argument "${name}": got ${describe(rank)}; expected an integer rank (negative counts from the end).`);
}

/**
 * A cache object that behaves like a sorted set (a Redis ZSET): members with a score, ordered
 * by score (ties by the member's stored text). `add(score, member)`, `has`, `score`, `delete`,
 * `pop()` and `popMax()` (atomic: across processes each member is popped by exactly one
 * caller), `range(start, stop)` by rank like ZRANGE, `size()`, `clear()`; `entries()` and the
 * object itself iterate `[score, member]` pairs in order, `values()` (and `keys()`) the members.
 *
 *   const queue = new SortedSetCache<string>('jobs');
 *   await queue.add(Date.now(), 'job-1');
 *   const next = await queue.pop();   // [score, 'job-1'], or undefined when empty
 */
export class SortedSetCache<T = any> extends Structure {
  constructor(key: KeyParts, options?: StructureOptions<Iterable<readonly [number, T]>>) {
    super(key, dataOf(options));
  }

  protected async initialize(data: unknown): Promise<void> {
    const { backend, key, ttl, members } = this.context();
    const entries = [...((data ?? []) as Iterable<readonly [number, T]>)].map(([score, member]) => [checkScore(score), members.encode(member, 'member')] as const);
    await backend.zsetAdd(key, entries, ttl, true);
  }

  /** Adds `member` with `score`, or moves it to `score` (refreshing the ttl); true when it was new. */
  async add(score: number, member: T): Promise<boolean> {
    checkScore(score);
    const { backend, key, ttl, members } = await this.operation();
    return (await backend.zsetAdd(key, [[score, members.encode(member, 'member')]], ttl, false)) > 0;
  }

  async has(member: T): Promise<boolean> {
    return (await this.score(member)) !== undefined;
  }

  /** The score of `member`, or undefined. */
  async score(member: T): Promise<number | undefined> {
    const { backend, key, members } = await this.operation();
    return backend.zsetScore(key, members.encode(member, 'member'));
  }

  /** Removes `member`; whether it was there. */
  async delete(member: T): Promise<boolean> {
    const { backend, key, ttl, members } = await this.operation();
    return backend.zsetDelete(key, members.encode(member, 'member'), ttl);
  }

  /** Removes and resolves the lowest-scored `[score, member]`; undefined when empty. */
  pop(): Promise<[number, T] | undefined> {
    return this.popEnd(false);
  }

  /** Removes and resolves the highest-scored `[score, member]`; undefined when empty. */
  popMax(): Promise<[number, T] | undefined> {
    return this.popEnd(true);
  }

  /** `[score, member]` pairs by rank, both ends inclusive; negative ranks count from the end (-1 is the last). */
  async range(start: number, stop: number): Promise<Array<[number, T]>> {
    checkRank('start', start);
    checkRank('stop', stop);
    const operation = await this.operation();
    return this.decoded(operation, await operation.backend.zsetRange(operation.key, start, stop));
  }

  async size(): Promise<number> {
    const { backend, key } = await this.operation();
    return backend.zsetSize(key);
  }

  /** Removes every member. */
  async clear(): Promise<void> {
    const { backend, key } = await this.operation();
    await backend.delete(key);
  }

  /** `[score, member]` pairs in order, from one read of the whole set. */
  async *entries(): AsyncIterableIterator<[number, T]> {
    yield* await this.range(0, -1);
  }

  /** The members in order. */
  async *values(): AsyncIterableIterator<T> {
    for await (const [, member] of this.entries()) yield member;
  }

  /** The members in order, like Set's `keys()`. */
  keys(): AsyncIterableIterator<T> {
    return this.values();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<[number, T]> {
    return this.entries();
  }

  private async popEnd(max: boolean): Promise<[number, T] | undefined> {
    const operation = await this.operation();
    const popped = await operation.backend.zsetPop(operation.key, max, operation.ttl);
    return popped && this.decoded(operation, [popped])[0];
  }

  private decoded({ members }: Operation, entries: Array<[number, string]>): Array<[number, T]> {
    return entries.map(([score, text]): [number, T] => [score, members.decode(text) as T]);
  }
}
