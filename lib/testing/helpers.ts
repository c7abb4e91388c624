import type { Duration } from '../units';
import type { KeyValueCache } from '../contract';
import { DictCache, SentinelCache, SetCache, SortedSetCache, ValueCache } from '../structures';

/** Shared by the contract suites. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** The classes at their default type parameters, as a subclass without any has them. */
export interface StructureClasses {
  Value: typeof ValueCache<any>;
  Dict: typeof DictCache<any, any>;
  Members: typeof SetCache<any>;
  Ranked: typeof SortedSetCache<any>;
  Gate: typeof SentinelCache;
}

/**
 * A subclass of each data-structure cache on `cache` (and with `ttl`, when given): what a user's
 * own subclasses look like.
 */
export function structureClassesOn(cache: KeyValueCache, ttl?: Duration): StructureClasses {
  class Value extends ValueCache {
    static override cache = cache;
    static override ttl = ttl;
  }
  class Dict extends DictCache {
    static override cache = cache;
    static override ttl = ttl;
  }
  class Members extends SetCache {
    static override cache = cache;
    static override ttl = ttl;
  }
  class Ranked extends SortedSetCache {
    static override cache = cache;
    static override ttl = ttl;
  }
  class Gate extends SentinelCache {
    static override cache = cache;
    static override ttl = ttl;
  }
  return { Value, Dict, Members, Ranked, Gate };
}
