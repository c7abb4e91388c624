/**
 * Coordination: getOrSet (one factory run per key across processes), lock (a distributed,
 * leased lock; `await using` releases it) and optimisticLock (compare-and-set by version).
 *
 *   npx tsx examples/kv-locks.ts
 */
import { createCache, type MemoirError } from 'memoir';

async function main() {
  const cache = createCache({ backend: 'file', namespace: 'locks-example' });

  // getOrSet: concurrent callers (here, or in other processes on this directory) share one run.
  let runs = 0;
  const build = async () => {
    runs++;
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { built: new Date().toISOString() };
  };
  await Promise.all([cache.getOrSet('report', build, { ttl: '1h' }), cache.getOrSet('report', build)]);
  console.log('factory runs for two concurrent getOrSet calls:', runs);

  // lock: renewed while held, so only a dead holder's lock expires; others wait for it.
  {
    await using held = await cache.lock('nightly-job', { lease: '10s' });
    console.log('holding', held.key);
    const other = await cache.lock('nightly-job', { wait: '100ms' }).catch((error: MemoirError) => error.code);
    console.log('a second lock while held:', other); // TIMEOUT
  } // released here
  const again = await cache.lock('nightly-job', { wait: '1s' });
  console.log('after release:', again.key, 'taken again; release ->', await again.release());

  // optimisticLock: read, compute, write back only if nobody wrote in between.
  await cache.set('balance', 100);
  for (;;) {
    const { value, cas } = await cache.optimisticLock<number>('balance');
    try {
      await cas((value ?? 0) - 30);
      break;
    } catch (error) {
      if ((error as MemoirError).code !== 'LOCK_CONFLICT') throw error; // someone else wrote: retry
    }
  }
  console.log('balance after a compare-and-set:', await cache.get('balance'));
  await cache.clear();
  await cache.close();
}

main();
