/**
 * Key-value caches: one interface over every backend. This one lives in memory; change
 * `backend` to 'file' (or 'mongo', 'redis', 'sql' with their connection option) and nothing
 * else changes.
 *
 *   npx tsx examples/kv-basics.ts
 */
import { createCache, type MemoirError } from 'memoir';

async function main() {
  const cache = createCache({ backend: 'memory', namespace: 'main', ttl: '10m' });

  console.log('set:', await cache.set('greeting', 'hello')); // true
  console.log('get:', await cache.get('greeting')); // 'hello'
  console.log('get with a default:', await cache.get('nobody', { default: 'n/a' }));

  // add stores only absent keys, atomically (one winner, even across processes on shared backends).
  try {
    await cache.add('greeting', 'other');
  } catch (error) {
    console.log('add of an existing key:', (error as MemoirError).code); // KEY_EXISTS
  }

  console.log('increment:', await cache.increment('visits'), await cache.increment('visits', 10)); // 1 11
  await cache.multiSet({ a: 1, b: 2 });
  console.log('multiGet:', await cache.multiGet(['a', 'missing', 'b'])); // [1, undefined, 2]
  console.log('exists:', await cache.exists('a'), await cache.exists('missing'));

  // A per-call ttl overrides the cache's; expire changes it afterwards (0: never expires).
  await cache.set('session', { user: 'ada' }, { ttl: '30s' });
  console.log('expire:', await cache.expire('session', '1h'), await cache.expire('missing', '1h'));

  console.log('delete:', await cache.delete('a'), await cache.delete('a')); // 1 0
  console.log('clear:', await cache.clear()); // true: only the 'main' namespace
  console.log('after clear:', await cache.get('greeting'));
  await cache.close();
}

main();
