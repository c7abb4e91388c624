import type { CoreEvent } from '../contract';
import { MemoirError } from '../errors';
import type { MemoirEventType } from '../contract';
import type { CallPolicy, Settings } from '../config';
import { type CacheStats, emptyStats } from './stats';

/**
 * What one memoized function tells the world about its calls: the `stats()` counters,
 * `onEvent` events (emitted only when a listener is installed, so hits pay nothing for
 * them), verbose decision traces, and recovered faults (each reported once, not per call).
 */
export class CallRecorder {
  readonly counters: CacheStats = emptyStats();
  private readonly warned = new Set<string>();

  /** The function's current settings; Memo replaces them whenever it re-resolves its own. */
  settings!: Settings;

  constructor(private readonly name: string) {}

  hit(key: string, policy: CallPolicy): void {
    this.counters.hits++;
    if (this.settings.onEvent) this.emit('hit', key);
    if (policy.verbose) this.trace(policy, 'fresh entry: hit', key);
  }

  staleHit(key: string, policy: CallPolicy): void {
    this.counters.staleHits++;
    this.emit('stale', key);
    this.trace(policy, 'stale entry: returned now, refreshing in the background', key);
  }

  miss(key: string, policy: CallPolicy, why: 'stale' | 'missing'): void {
    this.counters.misses++;
    this.emit('miss', key, why);
    this.trace(policy, why === 'stale' ? 'stale entry: recomputing' : 'no usable entry: computing', key);
  }

  wait(key: string, policy: CallPolicy, owner: string | undefined): void {
    this.counters.waits++;
    this.emit('wait', key, owner);
    this.trace(policy, `being calculated by ${owner ?? 'another caller'}: waiting`, key);
  }

  waitTimeout(key: string, policy: CallPolicy): void {
    this.counters.waitTimeouts++;
    this.emit('wait-timeout', key);
    this.trace(policy, 'waitForCalcTimeout reached: computing ourselves', key);
  }

  recalculation(key: string, policy: CallPolicy): void {
    this.counters.recalculations++;
    this.emit('recalculation', key);
    this.trace(policy, 'running the function', key);
  }

  sizeRejection(key: string, policy: CallPolicy): void {
    this.counters.sizeLimitRejections++;
    this.emit('size-limit', key);
    this.trace(policy, 'result larger than entrySizeLimit: returned, not stored', key);
  }

  trace(policy: CallPolicy, message: string, key?: string): void {
    if (policy.verbose) this.settings.logger.debug(`[memoir] ${this.name}${key ? ` ${key}` : ''}: ${message}`);
  }

  /** A backend incident began (the circuit breaker decides when one does). */
  backendIncident(error: unknown): void {
    this.counters.backendErrors++;
    const message = `cache "${this.name}": backend error, calls run uncached until it recovers: ${String(error)}`;
    this.emit('backend-error', undefined, message);
    this.settings.logger.warn(`[memoir] ${message}`);
  }

  /** A result the serializer refused: returned to its caller, not stored, worth one warning. */
  unstorable(error: unknown): void {
    const message = error instanceof MemoirError ? error.message : `cache "${this.name}": result not stored: ${String(error)}`;
    this.emit('serialization-error', undefined, message);
    this.warnOnce('serialize', message);
  }

  /** Something a core recovered from (bad data on disk, a foreign document). */
  coreEvent(event: CoreEvent): void {
    try {
      this.settings.onEvent?.({ ...event });
    } catch {
      // A failing listener must not break the call it observes.
    }
    this.warnOnce(`${event.type}:${event.location ?? ''}`, `[memoir] ${event.message}`);
  }

  warnOnce(id: string, message: string): void {
    if (this.warned.has(id)) return;
    this.warned.add(id);
    this.settings.logger.warn(message);
  }

  private emit(type: MemoirEventType, key?: string, message?: string): void {
    try {
      this.settings.onEvent?.({ type, cache: this.name, key, message });
    } catch {
      // A failing listener must not break the call it observes.
    }
  }
}
