/**
 * A child process for the cross-process Redis tests. It memoizes one body twice on the redis
 * backend (REDIS_WORKER_URL): as cache REDIS_WORKER_CACHE with a short lease and timeout
 * (REDIS_WORKER_LEASE, REDIS_WORKER_TIMEOUT: the crash, late-writer and restart cases) and as
 * `<cache>-default` with memoir's default lease and timeout (the throughput cases, which a
 * loaded machine must not turn into expired leases). Orders over IPC:
 *   { type: 'call', id, key, mode, bodyMs, lease }  one call with `key` ('short' or 'default');
 *      mode 'quick': the body sleeps bodyMs; 'hang': it never returns (the process is killed);
 *      'block': it blocks the event loop for bodyMs (no lease renewal can run meanwhile)
 *   { type: 'calls', id, keys, bodyMs }  calls every key at once (default lease)
 * It reports { type: 'started', key } as a body begins, and { type: 'result', id, value | error }.
 */
import { cached } from '../../lib/index';

type Mode = 'quick' | 'hang' | 'block';
type Order =
  | {
      type: 'call';
      id: number;
      key: string;
      mode: Mode;
      bodyMs?: number;
      lease?: 'short' | 'default';
    }
  | { type: 'calls'; id: number; keys: string[]; bodyMs?: number };

let mode: Mode = 'quick';
let bodyMs = 100;

const send = (message: unknown) => process.send?.(message);

async function body(key: string): Promise<string> {
  send({ type: 'started', key });
  if (mode === 'hang') await new Promise(() => {});
  if (mode === 'block') {
    const until = Date.now() + bodyMs;
    while (Date.now() < until) {} // a blocked event loop: the lease cannot be renewed
  } else {
    await new Promise((resolve) => setTimeout(resolve, bodyMs));
  }
  return `value of ${key} from ${process.pid}`;
}

const name = process.env.REDIS_WORKER_CACHE ?? 'redis-cross-process';
const shared = {
  backend: 'redis' as const,
  redis: process.env.REDIS_WORKER_URL!,
  logger: process.env.REDIS_WORKER_VERBOSE
    ? {
        debug: () => undefined,
        warn: (message: string) => console.error(`[worker ${process.pid}] ${message}`),
      }
    : { debug: () => undefined, warn: () => undefined },
};
const shortLease = cached(body, {
  ...shared,
  name,
  lease: process.env.REDIS_WORKER_LEASE ?? '1s',
  timeout: process.env.REDIS_WORKER_TIMEOUT ?? '2s',
});
const defaultLease = cached(body, { ...shared, name: `${name}-default` });

const settle = (id: number, promise: Promise<unknown>) =>
  promise.then(
    (value) => send({ type: 'result', id, value }),
    (error: Error) => send({ type: 'result', id, error: `${error.name}: ${error.message}` }),
  );

process.on('message', (order: Order) => {
  bodyMs = order.bodyMs ?? 100;
  if (order.type === 'call') {
    mode = order.mode;
    void settle(order.id, (order.lease === 'default' ? defaultLease : shortLease)(order.key));
  } else if (order.type === 'calls') {
    mode = 'quick';
    void settle(order.id, Promise.all(order.keys.map((key) => defaultLease(key))));
  }
});

send({ type: 'ready' });
