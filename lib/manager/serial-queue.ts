/**
 * Runs operations one after another, in call order, without making synchronous work
 * asynchronous: while nothing is in flight an operation runs immediately and its plain
 * result is returned as is; only behind a pending promise does it wait.
 *
 * Why: the saved contents of one cache are touched by saves (auto-sync, explicit) and by
 * deletes (invalidation). With async user hooks, a delete that overtook an earlier save
 * would let the save write stale contents back after the invalidation.
 */
export class SerialQueue {
  private tail: Promise<void> | undefined;

  /** True while an asynchronous operation is still running or queued. */
  get busy(): boolean {
    return this.tail !== undefined;
  }

  run<T>(operation: () => T | Promise<T>): T | Promise<T> {
    if (this.tail) return this.track(this.tail.then(operation));
    const result = operation();
    return isPromiseLike(result) ? this.track(Promise.resolve(result)) : result;
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    const settled: Promise<void> = promise.then(
      () => undefined,
      () => undefined,
    );
    this.tail = settled;
    void settled.then(() => {
      if (this.tail === settled) this.tail = undefined;
    });
    return promise;
  }
}

export function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
