/**
 * Exits on its own after using the redis backend, without closeConnections(): memoir's idle
 * connections (the client built from the URL, the pub/sub connection) must not keep a process
 * alive. Prints 'done' when its work is over; the parent measures how long the exit takes.
 */
import { createRedisCore } from '../../backends/redis';
import { cached } from '../../lib/index';

const url = process.env.REDIS_IDLE_URL!;
const name = `idle-exit-${process.pid}`;

async function main() {
  const add = cached(async (x: number) => x + 1, { name, backend: 'redis', redis: url });
  await add(1);
  await add(1);
  // A waiter's wait opens the pub/sub connection.
  const core = createRedisCore({ name, options: { redis: url }, report: () => undefined });
  await core.waitForChange!('k', 50);
  await add.clearCache();
  console.log('done');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
