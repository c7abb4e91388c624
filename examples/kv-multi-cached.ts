/**
 * multiCached: a function from a list of ids to a result per id. Each id is cached on its
 * own; only the missing ids reach the function, in one call.
 *
 *   npx tsx examples/kv-multi-cached.ts
 */
import { multiCached } from 'memoir';

type User = { id: string; name: string };

async function loadUsers(ids: string[]): Promise<Map<string, User>> {
  console.log('  loading', ids);
  return new Map(ids.map((id) => [id, { id, name: id.toUpperCase() }]));
}

async function main() {
  const getUsers = multiCached(loadUsers, { keysFrom: 0, backend: 'file', name: 'example-users', staleAfter: '5m' });
  await getUsers.clearCache();

  console.log(await getUsers(['a', 'b'])); // loads a and b
  console.log(await getUsers(['a', 'c'])); // loads only c; a comes from the cache
  console.log('cached:', await getUsers.isCached(['a', 'b', 'c']));
  await getUsers.invalidate(['a']);
  console.log(await getUsers(['a', 'b'])); // loads only a again
  console.log('stats:', getUsers.stats());
}

main();
