/**
 * A key-value cache on Redis: the same commands as every other backend, each one Redis's own
 * (SET NX for add, INCRBY, PEXPIRE, MGET...), values as the serializer wrote them, so another
 * client reads plain JSON and raw integers.
 *
 *   npx tsx examples/kv-redis.ts                                          # 127.0.0.1:6379
 *   MEMOIR_EXAMPLE_REDIS=redis://cache.internal:6379/2 npx tsx examples/kv-redis.ts
 *
 * It works in database 0 of the local Redis (CI starts one), in a namespace unique to this
 * run, and clears it at the end.
 */
import { closeConnections, createCache, type MemoirError } from 'memoir';

const redis = process.env.MEMOIR_EXAMPLE_REDIS ?? 'redis://127.0.0.1:6379/0';

async function main(): Promise<void> {
  const cache = createCache({ backend: 'redis', redis, namespace: `kv-example-${process.pid}`, serializer: 'json', timeout: '1s' });

  await cache.set('user:1', { name: 'ada', plan: 'pro' }, { ttl: '10m' });
  console.log('get:', await cache.get('user:1'));
  console.log('what redis-cli sees:', String(await cache.raw('GET', `${cache.namespace}:user:1`)));

  const added = await cache.add('user:1', { name: 'eve' }).catch((error: MemoirError) => error.code);
  console.log('add of an existing key:', added); // KEY_EXISTS: one SET NX, one winner

  await cache.set('visits', 41);
  console.log('increment:', await cache.increment('visits')); // INCRBY on the raw integer: 42
  console.log('multiGet (one MGET):', await cache.multiGet(['user:1', 'nobody', 'visits']));

  // A lock other processes wait for; its lease is renewed while held, on the server's clock.
  {
    await using job = await cache.lock('rebuild', { lease: '5s' });
    console.log('holding', job.key);
  }

  // Compare-and-set by WATCH: any write by any client since the read makes cas conflict.
  const read = await cache.optimisticLock<number>('visits');
  await read.cas((read.value ?? 0) + 1);
  console.log('after cas:', await cache.get('visits'));

  await cache.clear(); // SCAN + UNLINK of this namespace only
  await cache.close();
  await closeConnections();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
