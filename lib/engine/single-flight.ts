/**
 * In-process single-flight: the calculations running in this process, by key, so that
 * concurrent callers of one key share one calculation. Entries are removed when their
 * promise settles, and dropped early by the recovery and invalidation tools so that the
 * next caller starts afresh instead of joining a calculation it must not trust.
 */
export class SingleFlight {
  private readonly pending = new Map<string, Promise<unknown>>();
  /** For a calculation callers joined: what settles when they are let go before it does (releaseAll). */
  private readonly releases = new Map<Promise<unknown>, { released: Promise<void>; release: () => void }>();

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
    let found = this.releases.get(calculation);
    if (found === undefined) {
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      this.releases.set(calculation, (found = { released, release }));
      const settled = () => this.releases.delete(calculation);
      calculation.then(settled, settled);
    }
    return found.released;
  }

  /** Forgets every calculation and lets go of the callers waiting on them (clearBeingCalculated). */
  releaseAll(): void {
    this.forgetAll();
    const waiting = [...this.releases.values()];
    this.releases.clear();
    for (const { release } of waiting) release();
  }
}
