import { expectTypeOf } from 'expect-type';
import { CacheManager, type CacheStats, type MultiCached, multiCached } from 'memoir';

/**
 * Type tests: ts-jest type-checks this file, so an `expectTypeOf` that does not hold or a
 * `@ts-expect-error` that no longer errs fails the run.
 */
const memory = () => ({ backend: 'memory' as const, manager: new CacheManager() });

type User = { id: string; name: string };
const loadUsers = async (ids: string[], withPosts?: boolean): Promise<Map<string, User>> =>
  new Map(ids.map((id) => [id, { id, name: withPosts ? `${id}+` : id }]));

describe('multiCached keeps the function signature', () => {
  test('an async loader: same parameters and return type, per-id methods', async () => {
    const getUsers = multiCached(loadUsers, { keysFrom: 0, ...memory() });
    expectTypeOf(getUsers).parameters.toEqualTypeOf<[ids: string[], withPosts?: boolean]>();
    expectTypeOf(getUsers).returns.toEqualTypeOf<Promise<Map<string, User>>>();
    expectTypeOf(getUsers).toEqualTypeOf<MultiCached<typeof loadUsers>>();
    expectTypeOf(getUsers.keyFor).returns.toEqualTypeOf<string[]>();
    expectTypeOf(getUsers.peek).returns.toEqualTypeOf<Promise<Map<string, User>>>();
    expectTypeOf(getUsers.invalidate).parameters.toEqualTypeOf<[ids: string[], withPosts?: boolean]>();
    expectTypeOf(getUsers.stats).returns.toEqualTypeOf<CacheStats>();
    expectTypeOf(getUsers.with({ overwriteCache: true })).toEqualTypeOf<typeof loadUsers>();
    // @ts-expect-error ids are strings
    await getUsers([1]).catch(() => undefined);
    expect((await getUsers(['a'])).get('a')?.name).toBe('a');
  });

  test('a sync loader answers with a promise of its result', () => {
    const sync = (ids: number[]): Record<number, string> => Object.fromEntries(ids.map((id) => [id, `#${id}`]));
    const cachedSync = multiCached(sync, { keysFrom: 0, ...memory() });
    expectTypeOf(cachedSync).returns.toEqualTypeOf<Promise<Record<number, string>>>();
  });

  test('keysFrom names an array parameter, or an array property of an options parameter', () => {
    multiCached(loadUsers, { keysFrom: 0, ...memory() });
    // @ts-expect-error parameter 1 is a boolean, not the ids
    multiCached(loadUsers, { keysFrom: 1, ...memory() });
    // @ts-expect-error there is no parameter 2
    multiCached(loadUsers, { keysFrom: 2, ...memory() });

    const prices = async (_options: { ids: number[]; currency: string }, _region?: string) => ({}) as Record<number, number>;
    multiCached(prices, { keysFrom: 'ids', ...memory() });
    // @ts-expect-error currency is not an array
    multiCached(prices, { keysFrom: 'currency', ...memory() });
    // @ts-expect-error keysFrom is required (and its absence throws at decoration)
    expect(() => multiCached(prices, { ...memory() })).toThrow(/keysFrom/);
  });
});
