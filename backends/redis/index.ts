import type { Core, CoreFactory, CoreSpec } from '../../lib/contract';
import { MemoirError } from '../../lib/errors';
import { type Serializer, v8Serializer } from '../../lib/contract';
import { parseDuration } from '../../lib/units';
import { connect } from './connections';
import { createRedisCoreOn } from './core';

export { closeConnections } from './connections';
export type { RedisOption } from './connections';

/** Same default as every shared backend: long enough for a slow network, short for a caller. */
export const DEFAULT_TIMEOUT = '5s';

function serializerOf(options: CoreSpec['options']): Serializer {
  const candidate = options.serializer as Partial<Serializer> | undefined;
  return typeof candidate?.serialize === 'function' && typeof candidate.deserialize === 'function'
    ? (candidate as Serializer)
    : v8Serializer;
}

/**
 * The `'redis'` backend: options `redis` (URL, `{ url, ...clientOptions }` or a client) and
 * `timeout` (longest wait for one command, default '5s'). Nothing connects until the first call.
 */
export const createRedisCore: CoreFactory = (spec: CoreSpec): Core => {
  const { redis, timeout } = spec.options;
  if (redis === undefined || redis === null) {
    throw new MemoirError(
      'INVALID_OPTION',
      "Invalid option \"redis\": the 'redis' backend needs a URL ('redis://host:6379/0'), " +
        '{ url, ...clientOptions }, or a node-redis or ioredis client.',
    );
  }
  const timeoutMs = parseDuration((timeout ?? DEFAULT_TIMEOUT) as string | number, 'timeout');
  return createRedisCoreOn(spec, connect(redis, timeoutMs), {
    serializer: serializerOf(spec.options),
    timeoutMs,
  });
};
