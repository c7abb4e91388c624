import type { Core, Entry } from '../contract';
import type { CircuitBreaker } from './circuit-breaker';
import type { KeyFences } from './key-fences';
import type { CallRecorder } from './recorder';
import type { Settings } from '../config';
import type { SingleFlight } from './single-flight';

type AnyFunction = (...args: any[]) => any;

/** Where a call came from: what the function is applied to. */
export interface CallSite {
  self: unknown;
  args: readonly unknown[];
}

/**
 * The view of one memoized function that the flow and its drivers work with: what they read
 * and the few things they may do. `Memo` implements it; nothing below it knows `Memo`.
 */
export interface MemoHost {
  readonly name: string;
  readonly fn: AnyFunction;
  readonly settings: Settings;
  readonly record: CallRecorder;
  /** Bumped by whole-cache invalidation: calculations that started before do not store. */
  readonly epoch: number;
  readonly fences: KeyFences;
  readonly inFlight: SingleFlight;
  readonly breaker: CircuitBreaker;
  /** The storage of this function, opened on first use. */
  core(): Core;
  /** The function returned a promise: from now on every call answers with one. */
  learnAsync(): void;
  /** Whether the function answers with a Promise (as far as this process knows). */
  returnsPromise(): boolean;
  /** What a call answers with a stored entry: its value, as a Promise when it was computed by one. */
  answer(entry: Entry): unknown;
  /** Starts one background refresh of `key` (nextTime), unless one is running. */
  refreshInBackground(key: string, site: CallSite): void;
}
