import { elapsed } from './timers';

/**
 * How long calls skip a failing backend before one of them probes it again. Short enough
 * that a restarted server is used again within seconds, long enough that an outage costs
 * each call nothing: while the breaker is open the function runs uncached at full speed
 * instead of every call paying a connection timeout.
 */
export const BACKEND_RETRY_MS = 3_000;

/**
 * The circuit breaker of one memoized function's backend. An incident starts with the first
 * failure after a healthy spell (it is reported once, however many calls meet it) and ends
 * with the first storage operation that succeeds. While it lasts, calls bypass the backend;
 * every `BACKEND_RETRY_MS` one call at a time is let through as a probe.
 */
export class CircuitBreaker {
  private incident = false;
  private probing = false;
  private retryAt = 0;

  /** `onFailure` hears of every failure (the engine drops the hit it would otherwise repeat). */
  constructor(private readonly onFailure?: () => void) {}

  /** No incident: the backend answered last time (a read-only check, unlike `admits`). */
  get healthy(): boolean {
    return !this.incident;
  }

  /** May this call use the backend? False while an incident lasts, except for one probe per retry interval. */
  admits(): boolean {
    if (!this.incident) return true;
    if (this.probing || elapsed() < this.retryAt) return false;
    this.probing = true;
    return true;
  }

  /** A storage operation succeeded: any incident is over. */
  succeeded(): void {
    if (this.incident) this.incident = this.probing = false;
  }

  /** A storage operation failed. True when this starts a new incident (report it). */
  failed(): boolean {
    const starts = !this.incident;
    this.incident = true;
    this.onFailure?.();
    this.probing = false;
    this.retryAt = elapsed() + BACKEND_RETRY_MS;
    return starts;
  }
}
