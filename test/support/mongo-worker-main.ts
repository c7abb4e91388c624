/**
 * A child process for the cross-process mongo tests. It memoizes one function on the mongo
 * backend (the shared stand-in, via MONGO_WORKER_URI) and takes orders over IPC:
 *   { type: 'call', id, key, mode }  → calls the memoized function with `key`
 *      mode 'quick': the body sleeps briefly and returns; 'hang': the body never returns
 * It reports { type: 'started', key } when the body begins, and
 * { type: 'result', id, value, error? } when the call returns.
 * MONGO_WORKER_CLOCK_SHIFT_MS sets this process's wall clock (Date.now) that far off, as on a
 * machine whose clock disagrees with the others'.
 */
import { cached } from '../../lib/index';

const shift = Number(process.env.MONGO_WORKER_CLOCK_SHIFT_MS ?? 0);
if (shift !== 0) {
  const realNow = Date.now;
  Date.now = () => realNow() + shift;
}

type Order = { type: 'call'; id: number; key: string; mode: 'quick' | 'hang'; bodyMs?: number };

let mode: Order['mode'] = 'quick';
let bodyMs = 150;

const send = (message: unknown) => process.send?.(message);

const compute = cached(
  async (key: string) => {
    send({ type: 'started', key, pid: process.pid });
    if (mode === 'hang') await new Promise(() => {}); // killed while "calculating"
    await new Promise((resolve) => setTimeout(resolve, bodyMs));
    return `value of ${key} from ${process.pid}`;
  },
  {
    name: process.env.MONGO_WORKER_CACHE ?? 'cross-process',
    backend: 'mongo',
    mongetter: {
      uri: process.env.MONGO_WORKER_URI!,
      db: 'memoir_cross',
      collection: process.env.MONGO_WORKER_COLLECTION ?? 'entries',
    },
    lease: process.env.MONGO_WORKER_LEASE ?? '1s',
  },
);

process.on('message', (order: Order) => {
  if (order.type !== 'call') return;
  mode = order.mode;
  bodyMs = order.bodyMs ?? 150;
  compute(order.key).then(
    (value) => send({ type: 'result', id: order.id, value }),
    (error: Error) =>
      send({ type: 'result', id: order.id, error: `${error.name}: ${error.message}` }),
  );
});

send({ type: 'ready', pid: process.pid });
