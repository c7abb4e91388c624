import { MemoirError } from '../../lib/errors';

/**
 * Bounds one server command: a server that does not answer (stopped, partitioned) never
 * hangs a call. The timer is ref'd on purpose: a command in flight keeps the process alive
 * (its caller is waiting for it), an idle connection does not (the sockets are unref'd).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  if (!Number.isFinite(ms)) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new MemoirError('TIMEOUT', `Redis did not answer within ${ms} ms (${what()}).`));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

export function isTimeout(error: unknown): boolean {
  return error instanceof MemoirError && error.code === 'TIMEOUT';
}
