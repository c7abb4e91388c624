import { MemoirError } from '../errors';

export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return value instanceof Promise;
}

/**
 * Rejects with `TIMEOUT` when `work` takes longer than `ms` (0: no limit). What the work
 * already did is not undone; its late outcome is ignored. The timer is cleared as soon as the
 * work settles, and it keeps the process alive only while a caller is waiting on it.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: () => string): Promise<T> {
  if (!(ms > 0) || ms === Number.POSITIVE_INFINITY) return work;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new MemoirError('TIMEOUT', `${what()} did not complete within ${ms} ms (option "timeout").`));
    }, ms);
    work.then(
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
