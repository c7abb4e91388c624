/**
 * A child process for the cross-process key-value cache tests (run by tsx over IPC). Orders:
 *   { id, op: 'open', options }                 builds the cache (createCache options)
 *   { id, op: 'add', key, value }               → true, or the error code
 *   { id, op: 'incrementMany', key, count }     → every value its increments returned
 *   { id, op: 'lock', key, lease? }             → { at } once held (kept until 'release' or death)
 *   { id, op: 'release', key }                  → release()'s result, { startedAt, at } around it
 *   { id, op: 'read', key }                     → the optimistic read's value (kept for 'cas')
 *   { id, op: 'cas', key, value }               → true, or the error code
 *   { id, op: 'getOrSet', key, ms }             → the value; the factory reports { type: 'started' } and takes `ms`
 *   { id, op: 'openMulti', options }            builds a multiCached loader (cached options, keysFrom 0)
 *   { id, op: 'multiCall', ids, ms }            → the loader's answer as entries; the loader reports
 *                                                 { type: 'started', key: ids joined by ',' } and takes `ms`
 *   { id, op: 'openMemo', key }                 memoizes a function named `key` in the opened cache
 *   { id, op: 'memoCall', value, ms }           → its result for `value`; it reports { type: 'started',
 *                                                 key: 'memo:<name>:<value>' } and takes `ms`
 *   { id, op: 'valueIncrementMany', key, count } → every value a ValueCache's increments returned (on the opened cache, ttl 1h)
 *   { id, op: 'claim', key }                    → a SentinelCache's claim()
 *   { id, op: 'popAll', key }                   → every member a SortedSetCache's pop() returned, until it was empty
 *   { id, op: 'casMany', key, count, size }     → the counts this process stored: `count` times, reads { count, pad }
 *                                                 (pad: `size` characters) with optimisticLock and stores count + 1
 *                                                 with its cas, reading again after each LOCK_CONFLICT
 * Replies are { type: 'reply', id, result } or { type: 'reply', id, error: code or message }.
 */
import { createCache } from '../../lib/caches';
import { multiCached } from '../../lib/multi';
import { cached } from '../../lib/cached';
import type { KeyValueCache, LockHandle, OptimisticLock } from '../../lib/contract/cache';
import { SentinelCache, SortedSetCache, ValueCache } from '../../lib/structures';

type Order = { id: number; op: string; key?: string; value?: unknown; count?: number; size?: number; lease?: number; ms?: number; ids?: string[]; options?: Record<string, unknown> };

const send = (message: unknown) => process.send?.(message);
let cache: KeyValueCache | undefined;
const locks = new Map<string, LockHandle>();
const reads = new Map<string, OptimisticLock>();
let loadDelay = 0;
let loader: ((ids: string[]) => Promise<Map<string, string>>) | undefined;
let memoized: ((value: string, ms: number) => Promise<string>) | undefined;

/** A subclass of a structure class whose cache is the opened one. */
function onCache<C extends typeof ValueCache | typeof SentinelCache | typeof SortedSetCache>(Base: C): C {
  const opened = cache!;
  return class extends (Base as typeof ValueCache) {
    static override cache = opened;
  } as unknown as C;
}

async function handle(order: Order): Promise<unknown> {
  const key = order.key ?? '';
  switch (order.op) {
    case 'open':
      cache = createCache(order.options as never);
      return true;
    case 'add':
      return cache!.add(key, order.value);
    case 'incrementMany': {
      const seen: number[] = [];
      for (let i = 0; i < order.count!; i++) seen.push(await cache!.increment(key));
      return seen;
    }
    case 'lock':
      locks.set(key, await cache!.lock(key, { lease: order.lease ?? 10_000 }));
      return { at: Date.now() };
    case 'release': {
      const startedAt = Date.now();
      const released = await locks.get(key)!.release();
      return { released, startedAt, at: Date.now() };
    }
    case 'read': {
      const read = await cache!.optimisticLock(key);
      reads.set(key, read);
      return read.value ?? null;
    }
    case 'cas':
      return reads.get(key)!.cas(order.value);
    case 'getOrSet':
      return cache!.getOrSet(key, async () => {
        send({ type: 'started', key, pid: process.pid });
        await new Promise((resolve) => setTimeout(resolve, order.ms ?? 100));
        return `from ${process.pid}`;
      });
    case 'openMulti':
      loader = multiCached(
        async (ids: string[]) => {
          send({ type: 'started', key: ids.join(','), pid: process.pid });
          await new Promise((resolve) => setTimeout(resolve, loadDelay));
          return new Map(ids.map((id) => [id, `${id}@${process.pid}`]));
        },
        { keysFrom: 0, ...(order.options as object) },
      );
      return true;
    case 'openMemo': {
      const name = key;
      memoized = cached(
        async (value: string, ms: number) => {
          send({ type: 'started', key: `memo:${name}:${value}`, pid: process.pid });
          await new Promise((resolve) => setTimeout(resolve, ms));
          return `${value}@${process.pid}`;
        },
        { name, backend: cache!, hashFunc: ([value]) => String(value) },
      );
      return true;
    }
    case 'memoCall':
      return memoized!(String(order.value), order.ms ?? 0);
    case 'multiCall':
      loadDelay = order.ms ?? 0;
      return [...(await loader!(order.ids!))];
    case 'valueIncrementMany': {
      class Counter extends onCache(ValueCache) {
        static override ttl = '1h'; // the native path then moves the expiry in the same script
      }
      const counter = new Counter(key);
      const seen: number[] = [];
      for (let i = 0; i < order.count!; i++) seen.push(await counter.increment());
      return seen;
    }
    case 'claim':
      return new (onCache(SentinelCache))(key).claim();
    case 'popAll': {
      const queue = new (onCache(SortedSetCache))(key);
      const popped: unknown[] = [];
      for (let entry = await queue.pop(); entry !== undefined; entry = await queue.pop()) popped.push(entry[1]);
      return popped;
    }
    case 'casMany': {
      const pad = 'p'.repeat(order.size ?? 0);
      const stored: number[] = [];
      while (stored.length < order.count!) {
        const read = await cache!.optimisticLock<{ count: number; pad: string }>(key);
        const next = (read.value?.count ?? 0) + 1;
        try {
          await read.cas({ count: next, pad });
          stored.push(next);
        } catch (error) {
          if ((error as { code?: string }).code !== 'LOCK_CONFLICT') throw error;
        }
      }
      return stored;
    }
    default:
      throw new Error(`unknown order ${order.op}`);
  }
}

process.on('message', (order: Order) => {
  handle(order).then(
    (result) => send({ type: 'reply', id: order.id, result }),
    (error: { code?: string; message?: string }) => send({ type: 'reply', id: order.id, error: error?.code ?? String(error?.message ?? error) }),
  );
});

send({ type: 'ready', pid: process.pid });
