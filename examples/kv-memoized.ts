/**
 * Memoized functions whose entries live in a key-value cache: `backend` names an alias (or is a
 * cache), and `serializer` says how results are stored. Here the alias is the local Redis; the
 * same code runs on any backend an alias can name (MEMOIR_DSN_1=redis://...#shared).
 *
 *   npx tsx examples/kv-memoized.ts
 */
import { cached, caches, closeConnections, multiCached } from 'memoir';

async function main() {
  caches.setConfig({ shared: { backend: 'redis', redis: 'redis://127.0.0.1:6379/0', namespace: 'example', timeout: '1s' } });

  const price = cached(
    async (sku: string) => {
      console.log('  computing the price of', sku);
      return { sku, cents: sku.length * 250, at: new Date().toISOString() };
    },
    { backend: 'shared', name: 'example-price', serializer: 'json', staleAfter: '10m' },
  );
  await price.clearCache();
  console.log(await price('tea')); // computed, stored as JSON in Redis
  console.log(await price('tea')); // a hit: every process using the alias shares it
  await caches.get('shared').clear(); // the cache's own keys: the function's entries stay
  console.log('still cached:', await price.isCached('tea'));

  const users = multiCached(
    async (ids: string[]) => {
      console.log('  loading users', ids);
      return new Map(ids.map((id) => [id, { id, name: id.toUpperCase() }]));
    },
    { keysFrom: 0, backend: 'shared', name: 'example-users' },
  );
  await users.clearCache();
  await users(['a', 'b']);
  await users(['a', 'c']); // loads only c

  await price.clearCache();
  await users.clearCache();
  await caches.close();
  await closeConnections();
}

main();
