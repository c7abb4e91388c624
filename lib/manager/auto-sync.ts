import { invalidOption } from '../errors';
import { type Duration, parseDuration } from '../units';

/**
 * One auto-sync threshold: once at least `changes` unsaved changes exist, the cache saves
 * when `within` has passed since its last save (or since it was registered). Rules combine
 * like Redis save points: the earliest rule that applies wins.
 */
export interface AutoSyncRule {
  /** Number of unsaved changes (set, delete, clear) that arms this rule. A positive integer. */
  changes: number;
  /** Longest time since the last save those changes may stay unsaved. A duration > 0. */
  within: Duration;
}

/**
 * The default schedule: many changes are saved within a minute, a few within five minutes,
 * and even a single change within fifteen, so bursts are batched and nothing waits forever.
 */
export const DEFAULT_AUTO_SYNC_RULES: readonly AutoSyncRule[] = Object.freeze([
  Object.freeze({ changes: 10_000, within: '60s' }),
  Object.freeze({ changes: 10, within: '300s' }),
  Object.freeze({ changes: 1, within: '900s' }),
]);

/** Time source and timers, injectable so tests drive the schedule without sleeping. */
export interface Clock {
  now(): number;
  /** Schedules `callback` after `delayMs`; the timer must not keep the process alive. */
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs).unref(),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface ParsedRule {
  changes: number;
  withinMs: number;
}

/** Validates rules (`false` = never save on a schedule) and converts durations to ms. */
export function parseAutoSyncRules(
  rules: readonly AutoSyncRule[] | false,
  option = 'autoSync',
): ParsedRule[] {
  if (rules === false) return [];
  if (!Array.isArray(rules)) {
    throw invalidOption(option, rules, 'an array of { changes, within } rules, or false');
  }
  return rules.map((rule, index) => {
    const where = `${option}[${index}]`;
    if (rule === null || typeof rule !== 'object') {
      throw invalidOption(where, rule, 'an object { changes, within }');
    }
    if (!Number.isInteger(rule.changes) || rule.changes < 1) {
      throw invalidOption(`${where}.changes`, rule.changes, 'a positive integer');
    }
    const withinMs = parseDuration(rule.within, `${where}.within`);
    if (withinMs <= 0) throw invalidOption(`${where}.within`, rule.within, 'a duration > 0');
    return { changes: rule.changes, withinMs };
  });
}

/** Two rule lists are the same schedule (used to tell a repeated registration from a conflict). */
export function sameRules(a: readonly AutoSyncRule[] | false | undefined, b: typeof a): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === false || b === false) return false;
  const pa = parseAutoSyncRules(a);
  const pb = parseAutoSyncRules(b);
  return (
    pa.length === pb.length &&
    pa.every((r, i) => r.changes === pb[i].changes && r.withinMs === pb[i].withinMs)
  );
}

/**
 * Counts unsaved changes of one cache and fires `save` when a rule says so. The timer is
 * armed only while some rule is armed and is always unref'd (through the clock), so a
 * pending save never keeps the process alive; the exit flush covers what is still pending.
 */
export class AutoSyncSchedule {
  private pending = 0;
  private lastSaveAt: number;
  private timer: unknown;
  private timerDue = Number.POSITIVE_INFINITY;
  /** Bumped when the counted changes stop mattering (cleared by invalidation, reloaded). */
  private epoch = 0;

  constructor(
    private readonly clock: Clock,
    private readonly rules: () => ParsedRule[],
    private readonly save: () => void,
  ) {
    this.lastSaveAt = clock.now();
  }

  /** Unsaved changes right now. */
  get pendingChanges(): number {
    return this.pending;
  }

  recordChange(): void {
    this.pending++;
    this.reschedule();
  }

  /** Called when a save starts: returns a token for `saved`/`failed`. */
  beginSave(): { count: number; epoch: number } {
    return { count: this.pending, epoch: this.epoch };
  }

  /** The changes counted in `token` are on disk; changes made meanwhile stay pending. */
  saved(token: { count: number; epoch: number }): void {
    this.lastSaveAt = this.clock.now();
    if (token.epoch === this.epoch) this.pending = Math.max(0, this.pending - token.count);
    this.reschedule();
  }

  /** A save failed: keep every change pending and back off by a full window before retrying. */
  failed(): void {
    this.lastSaveAt = this.clock.now();
    this.reschedule();
  }

  /** Forget pending changes (the contents were just replaced or cleared and made durable). */
  reset(): void {
    this.epoch++;
    this.pending = 0;
    this.lastSaveAt = this.clock.now();
    this.cancelTimer();
  }

  /** Stop the timer for good; pending changes are still counted. */
  stop(): void {
    this.cancelTimer();
  }

  private reschedule(): void {
    let due = Number.POSITIVE_INFINITY;
    for (const rule of this.rules()) {
      if (this.pending >= rule.changes) due = Math.min(due, this.lastSaveAt + rule.withinMs);
    }
    if (due === this.timerDue) return;
    this.cancelTimer();
    if (due === Number.POSITIVE_INFINITY) return;
    this.timerDue = due;
    this.timer = this.clock.setTimer(
      () => {
        this.timer = undefined;
        this.timerDue = Number.POSITIVE_INFINITY;
        if (this.pending > 0) this.save();
      },
      Math.max(0, due - this.clock.now()),
    );
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
  }
}
