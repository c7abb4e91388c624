/**
 * In-process single-flight: the calculations running in this process, by key, so that
 * concurrent callers of one key share one calculation. Entries are removed when their
 * promise settles, and dropped early by the recovery and invalidation tools so that the
 * next caller starts afresh instead of joining a calculation it must not trust.
 */
export class SingleFlight {
  private readonly pending = new Map<string, Promise<unknown>>();
  /** Callers that joined a calculation, told when they are let go before it settles (releaseAll). */
  private readonly joined = new Map<Promise<unknown>, Array<() => void>>();

  /** The calculation of `key` running in this process, if any. */
  running(key: string): Promise<unknown> | undefined {
    return this.pending.get(key);
  }

  track<T>(key: string, promise: Promise<T>): Promise<T> {
    this.pending.set(key, promise);
    const forget = () => {
      if (this.pending.get(key) === promise) this.pending.delete(key);
    };
    promise.then(forget, forget);
    return promise;
  }

  /** New callers of `key` compute instead of joining what runs now (it still answers its own callers). */
  forget(key: string): void {
    this.pending.delete(key);
  }

  forgetAll(): void {
    this.pending.clear();
  }

  /** Resolves if the callers who joined `calculation` are let go before it settles; never otherwise. */
  whenReleased(calculation: Promise<unknown>): Promise<void> {
    return new Promise((release) => {
      let callers = this.joined.get(calculation);
      if (callers === undefined) {
        this.joined.set(calculation, (callers = []));
        const settled = () => this.joined.delete(calculation);
        calculation.then(settled, settled);
      }
      callers.push(release);
    });
  }

  /** Forgets every calculation and lets go of the callers waiting on them (clearBeingCalculated). */
  releaseAll(): void {
    this.forgetAll();
    const waiting = [...this.joined.values()];
    this.joined.clear();
    for (const callers of waiting) for (const release of callers) release();
  }
}
