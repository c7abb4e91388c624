import type { Core, CoreEvent } from '../../lib/contract';
import { createRedisCore } from '../../backends/redis';

/**
 * The machine's Redis (127.0.0.1:6379, see .ci/run). Tests use database 5 so that a helper's
 * FLUSHDB elsewhere cannot reach them, and namespaces unique to the run, removed at the end.
 */
export const REDIS_URL = process.env.MEMOIR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/5';
export const REDIS_DB = Number(/\/(\d+)$/.exec(REDIS_URL)?.[1] ?? 0);

let counter = 0;
export const uniqueName = (label: string) =>
  `${label}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

/** A core on `redis` (URL, options or client) whose events are collected in `events`. */
export function redisCore(
  name: string,
  redis: unknown,
  extra: Record<string, unknown> = {},
  events: CoreEvent[] = [],
): Core {
  return createRedisCore({
    name,
    options: { redis, ...extra },
    report: (event) => events.push({ ...event, cache: name }),
  });
}

/** Clears the namespaces a suite used, through a fresh core each. */
export async function clearNamespaces(names: Iterable<string>, redis: unknown): Promise<void> {
  for (const name of names) {
    const core = redisCore(name, redis);
    await core.clear();
    await core.close?.();
  }
}
