/**
 * What memoir tells `onEvent` listeners. Decisions (hit, miss, ...) are emitted only when a
 * listener is installed, so the hot path pays nothing by default.
 */
export type MemoirEventType =
  | 'hit'
  | 'miss'
  | 'stale'
  | 'wait'
  | 'wait-timeout'
  | 'recalculation'
  | 'size-limit'
  | 'backend-error'
  | 'corrupt-entry'
  | 'serialization-error'
  | 'lease-lost';

export interface MemoirEvent {
  type: MemoirEventType;
  /** The cache (function) name. */
  cache: string;
  /** The argument key, when the event concerns one call. */
  key?: string;
  /** Human-readable detail; for faults, what happened and where. */
  message?: string;
  /** File path or collection for faults, when known. */
  location?: string;
  error?: unknown;
}
