import { MemoirError } from '../../lib/errors';

/**
 * Bounds server commands: a server that does not answer (stopped, partitioned) never hangs a
 * call. One sweeper per process rather than a timer per command (a hit is a few dozen
 * microseconds; arming and clearing a timer for each was a visible share of it): commands in
 * flight register a deadline, and a ref'd interval, running only while some are in flight,
 * rejects the expired ones. A command therefore times out between `ms` and `ms + TICK_MS`.
 *
 * Ref'd on purpose: a command in flight keeps the process alive (its caller is waiting for
 * it); an idle connection does not (the sockets are unref'd and the sweeper stops).
 */
const TICK_MS = 20;

interface Pending {
  deadline: number;
  ms: number;
  what: () => string;
  reject: (error: unknown) => void;
}

const inFlight = new Set<Pending>();
let sweeper: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = Date.now();
  const expired = [...inFlight].filter((pending) => pending.deadline <= now);
  if (expired.length > 0) {
    // Timers run before I/O in an event-loop turn: after a stall (a busy or starved process),
    // the replies may be in the socket already. Let this turn's I/O resolve them first, and
    // reject only what is still unanswered after it.
    setImmediate(() => {
      for (const pending of expired) {
        if (!inFlight.delete(pending)) continue;
        pending.reject(
          new MemoirError(
            'TIMEOUT',
            `Redis did not answer within ${pending.ms} ms (${pending.what()}).`,
          ),
        );
      }
    });
  }
  if (inFlight.size === 0) stopSweeper();
}

function stopSweeper(): void {
  clearInterval(sweeper);
  sweeper = undefined;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  if (!Number.isFinite(ms)) return promise;
  return new Promise<T>((resolve, reject) => {
    const pending: Pending = { deadline: Date.now() + ms, ms, what, reject };
    inFlight.add(pending);
    sweeper ??= setInterval(sweep, Math.max(5, Math.min(TICK_MS, ms)));
    promise.then(
      (value) => {
        inFlight.delete(pending);
        resolve(value);
      },
      (error) => {
        inFlight.delete(pending);
        reject(error);
      },
    );
  });
}

export function isTimeout(error: unknown): boolean {
  return error instanceof MemoirError && error.code === 'TIMEOUT';
}
