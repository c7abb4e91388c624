/**
 * A child process for the cross-process SQL tests. It memoizes one function per database URL
 * (created on first use) and takes orders over IPC:
 *   { type: 'call', id, url, key, mode, bodyMs }  → calls the memoized function with `key`
 *      mode 'quick': the body sleeps `bodyMs` and returns; 'hang': the body never returns;
 *      'held': the body returns once the parent sends { type: 'release', key }, so a test can
 *      put a fault in the middle of a calculation whatever the machine's speed
 * It reports { type: 'started', key } when the body begins and
 * { type: 'result', id, value, error? } when the call returns.
 */
import { cached } from '../../lib/index';

type Mode = 'quick' | 'hang' | 'held';
type Order =
  | { type: 'call'; id: number; url: string; key: string; mode: Mode; bodyMs?: number }
  | { type: 'release'; key: string };

const send = (message: unknown) => process.send?.(message);
const bodies = new Map<string, { mode: Mode; bodyMs: number }>();
/** Held bodies, by key: calling one lets that body return. */
const releases = new Map<string, () => void>();

function memoized(url: string) {
  return cached(
    async (key: string) => {
      const body = bodies.get(key) ?? { mode: 'quick', bodyMs: 100 };
      send({ type: 'started', key, pid: process.pid });
      if (body.mode === 'hang') await new Promise(() => {}); // killed while "calculating"
      if (body.mode === 'held') await new Promise<void>((release) => releases.set(key, release));
      await new Promise((resolve) => setTimeout(resolve, body.bodyMs));
      return `value of ${key} from ${process.pid}`;
    },
    {
      name: process.env.SQL_WORKER_CACHE ?? 'cross-process',
      backend: 'sql',
      sql: url,
      lease: process.env.SQL_WORKER_LEASE ?? '1s',
      logger: { debug: () => {}, warn: (message) => send({ type: 'warning', message }) },
    },
  );
}

const byUrl = new Map<string, ReturnType<typeof memoized>>();

process.on('message', (order: Order) => {
  if (order.type === 'release') {
    releases.get(order.key)?.();
    releases.delete(order.key);
    return;
  }
  bodies.set(order.key, { mode: order.mode, bodyMs: order.bodyMs ?? 100 });
  let fn = byUrl.get(order.url);
  if (!fn) byUrl.set(order.url, (fn = memoized(order.url)));
  fn(order.key).then(
    (value) => send({ type: 'result', id: order.id, value }),
    (error: Error) =>
      send({ type: 'result', id: order.id, error: `${error.name}: ${error.message}` }),
  );
});

send({ type: 'ready', pid: process.pid });
