/**
 * A child process for the cross-process Redis tests. It memoizes one function on the redis
 * backend (REDIS_WORKER_URL, cache REDIS_WORKER_CACHE, lease REDIS_WORKER_LEASE) and takes
 * orders over IPC:
 *   { type: 'call', id, key, mode, bodyMs }  one call of the memoized function with `key`;
 *      mode 'quick': the body sleeps bodyMs; 'hang': it never returns (the process is killed);
 *      'block': it blocks the event loop for bodyMs (no lease renewal can run meanwhile)
 *   { type: 'calls', id, keys, bodyMs }  calls every key at once
 * It reports { type: 'started', key } as a body begins, and { type: 'result', id, value | error }.
 */
import { cached } from '../../lib/index';

type Mode = 'quick' | 'hang' | 'block';
type Order =
  | { type: 'call'; id: number; key: string; mode: Mode; bodyMs?: number }
  | { type: 'calls'; id: number; keys: string[]; bodyMs?: number };

let mode: Mode = 'quick';
let bodyMs = 100;

const send = (message: unknown) => process.send?.(message);

const compute = cached(
  async (key: string) => {
    send({ type: 'started', key });
    if (mode === 'hang') await new Promise(() => {});
    if (mode === 'block') {
      const until = Date.now() + bodyMs;
      while (Date.now() < until) {} // a blocked event loop: the lease cannot be renewed
    } else {
      await new Promise((resolve) => setTimeout(resolve, bodyMs));
    }
    return `value of ${key} from ${process.pid}`;
  },
  {
    name: process.env.REDIS_WORKER_CACHE ?? 'redis-cross-process',
    backend: 'redis',
    redis: process.env.REDIS_WORKER_URL!,
    lease: process.env.REDIS_WORKER_LEASE ?? '1s',
    timeout: process.env.REDIS_WORKER_TIMEOUT ?? '2s',
    logger: process.env.REDIS_WORKER_VERBOSE
      ? {
          debug: () => undefined,
          warn: (message) => console.error(`[worker ${process.pid}] ${message}`),
        }
      : { debug: () => undefined, warn: () => undefined },
  },
);

const settle = (id: number, promise: Promise<unknown>) =>
  promise.then(
    (value) => send({ type: 'result', id, value }),
    (error: Error) => send({ type: 'result', id, error: `${error.name}: ${error.message}` }),
  );

process.on('message', (order: Order) => {
  bodyMs = order.bodyMs ?? 100;
  if (order.type === 'call') {
    mode = order.mode;
    void settle(order.id, compute(order.key));
  } else if (order.type === 'calls') {
    mode = 'quick';
    void settle(order.id, Promise.all(order.keys.map((key) => compute(key))));
  }
});

send({ type: 'ready' });
