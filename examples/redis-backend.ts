/**
 * The redis backend: entries on a Redis server that every process and machine shares.
 *
 *   npx tsx examples/redis-backend.ts                                       # 127.0.0.1:6379
 *   MEMOIR_EXAMPLE_REDIS=redis://cache.internal:6379/2 npx tsx examples/redis-backend.ts
 *
 * It uses database 0 of the local Redis (CI starts one), under function names unique to this
 * run, and clears them at the end.
 */
import { cached, closeConnections } from 'memoir';

const redis = process.env.MEMOIR_EXAMPLE_REDIS ?? 'redis://127.0.0.1:6379/0';
const run = `${process.pid}-${Date.now()}`;

let failures = 0;
function check(ok: boolean, what: string): void {
  console.log(`${ok ? '  ok  ' : '  FAIL'} ${what}`);
  if (!ok) failures++;
}

async function main(): Promise<void> {
  let computations = 0;
  async function userProfile(id: string): Promise<{ id: string; plan: string }> {
    computations++;
    await new Promise((resolve) => setTimeout(resolve, 100)); // stands for a slow service
    return { id, plan: id === 'u1' ? 'pro' : 'free' };
  }

  // A URL: memoir opens (lazily) and owns one connection per URL, and closes it in
  // closeConnections(); an idle connection never keeps the process alive.
  const name = `example-userProfile-${run}`;
  const profile = cached(userProfile, { backend: 'redis', redis, name, staleAfter: '10m' });
  const double = cached((n: number) => n * 2, {
    backend: 'redis',
    redis,
    name: `example-double-${run}`,
  });
  try {
    console.log(`Using ${redis}.`);
    console.log('An async function:');
    const first = await profile('u1');
    const second = await profile('u1');
    console.log('  profile("u1") ->', first, 'then', second);
    check(computations === 1 && second.plan === 'pro', 'computed once, then read from Redis');
    check(await profile.isCached('u1'), 'isCached("u1") is true');

    // Another memoized function with the same name stands for another process or machine:
    // nothing in its memory, it finds the entry on the server.
    const elsewhere = cached(userProfile, { backend: 'redis', redis, name });
    check(
      (await elsewhere('u1')).plan === 'pro' && computations === 1,
      'a second instance reads the shared entry',
    );

    // Concurrent callers of one key wait for the one calculation (across processes too).
    const together = await Promise.all([profile('u2'), elsewhere('u2'), profile('u2')]);
    check(
      computations === 2 && together.every((p) => p.plan === 'free'),
      'three concurrent callers, one computation',
    );

    console.log('A sync function:');
    const pending = double(21);
    // Redis I/O cannot block, so on this backend a sync function returns a Promise (typed so).
    check(pending instanceof Promise, 'a sync function returns a Promise on the redis backend');
    console.log('  double(21) ->', await pending);

    await profile.invalidate('u1');
    check(!(await profile.isCached('u1')), 'invalidate("u1") removed the entry');
    console.log('stats of userProfile:', profile.stats());
  } finally {
    await profile.clearCache();
    await double.clearCache();
    await closeConnections();
  }

  if (failures > 0) throw new Error(`${failures} check(s) failed`);
  console.log('All checks passed.');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
