/**
 * Plugins: objects with pre<Command>/post<Command> hooks, run in order around every command.
 * Built in: hitMissRatio() and timing().
 *
 *   npx tsx examples/kv-plugins.ts
 */
import { type CachePlugin, createCache, hitMissRatio, timing } from 'memoir';

async function main() {
  const ratio = hitMissRatio();
  const timer = timing();
  const audit: CachePlugin = {
    postSet: ({ key, ms }) => console.log(`  audit: set ${key} in ${ms?.toFixed(3)} ms`),
    preDelete: ({ key }) => {
      if (key === 'protected') throw new Error('this key cannot be deleted'); // rejects the command
    },
  };
  const cache = createCache({ backend: 'memory', namespace: 'plugins', plugins: [ratio, timer, audit] });

  await cache.multiSet([
    ['a', 1],
    ['b', 2],
  ]);
  await cache.set('protected', 'keep');
  for (const key of ['a', 'b', 'c', 'a', 'd']) await cache.get(key);

  console.log('hits / total:', ratio.hits, '/', ratio.total, `(ratio ${ratio.hitRatio})`);
  console.log('get timing:', timer.stats().get);
  await cache.delete('protected').catch((error: Error) => console.log('delete refused:', error.message));
  await cache.close();
}

main();
