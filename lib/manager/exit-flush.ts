import { processState } from '../util';

/**
 * Saves caches with unsaved changes when the process ends, so a change is not lost just
 * because the auto-sync timer (unref'd, so it never keeps the process alive) had not fired.
 *
 * - `beforeExit` fires when the event loop drains on its own; `exit` also fires after an
 *   explicit `process.exit()` and after an uncaught error, where `beforeExit` does not. Both
 *   flush; the second finds nothing left to do.
 * - SIGINT, SIGTERM and SIGHUP end a process without `exit` when nobody listens to them (the
 *   default action kills it), so memoir listens, flushes, and then keeps the program's
 *   outcome: if no one else would keep the process alive, it removes itself and raises the
 *   signal again, so the process dies of that signal exactly as it would have (exit status,
 *   `signal` seen by the parent); if the program has listeners of its own, they decide, and
 *   memoir does not end the process for them.
 * - "No one else" counts listeners of signal-exit (v3 and v4) as absent: they behave like
 *   memoir's (act only when alone, then re-raise), and signal-exit is loaded by
 *   proper-lockfile, which memoir's own file lock uses. Two such polite listeners that each
 *   wait for the other to be alone would leave the process running forever on SIGTERM, so
 *   memoir steps aside and re-raises, and signal-exit then finds itself alone and does the
 *   same. This is the rule signal-exit v4 applies to v3.
 * - The handlers only run synchronous saves (neither an `exit` listener nor a dying process
 *   can wait), and they are plain listeners, which never keep the process alive.
 * - Only caches with pending changes are held here, so an idle cache can be collected.
 * - One set of handlers per process, even when both module copies of memoir are loaded (see
 *   lib/util/process-state.ts): two copies would otherwise each see the other's signal
 *   listener as the program's own and neither would re-raise.
 */
export interface Flushable {
  /** Saves pending changes synchronously; must not throw (report instead). */
  flushSync(): void;
}

/** Signals whose default action ends the process without an `exit` event. */
export const FLUSH_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type FlushSignal = (typeof FLUSH_SIGNALS)[number];

interface ExitFlushState {
  dirty: Set<Flushable>;
  installed: boolean;
}

const state = processState<ExitFlushState>('exit-flush', () => ({
  dirty: new Set(),
  installed: false,
}));

function flushAll(): void {
  for (const cache of [...state.dirty]) {
    state.dirty.delete(cache);
    cache.flushSync();
  }
}

/** Listeners that signal-exit (v3 and v4) has on each signal; they only act when alone. */
function signalExitListeners(): number {
  const holder = process as unknown as Record<string | symbol, { count?: unknown } | undefined>;
  const count = (emitter: { count?: unknown } | undefined) =>
    typeof emitter?.count === 'number' ? emitter.count : 0;
  return (
    count(holder.__signal_exit_emitter__) +
    count((globalThis as unknown as typeof holder)[Symbol.for('signal-exit emitter')])
  );
}

function onSignal(signal: FlushSignal): void {
  flushAll();
  const others = process.listeners(signal).filter((listener) => listener !== signalListeners[signal]);
  if (others.length > signalExitListeners()) return; // the program handles it
  // Without memoir the default action (or signal-exit, acting alone) would end the process.
  process.removeListener(signal, signalListeners[signal]);
  process.kill(process.pid, signal);
}

const signalListeners: Record<FlushSignal, () => void> = {
  SIGINT: () => onSignal('SIGINT'),
  SIGTERM: () => onSignal('SIGTERM'),
  SIGHUP: () => onSignal('SIGHUP'),
};

function install(): void {
  state.installed = true;
  process.on('beforeExit', flushAll);
  process.on('exit', flushAll);
  for (const signal of FLUSH_SIGNALS) process.on(signal, signalListeners[signal]);
}

export function markDirty(cache: Flushable): void {
  state.dirty.add(cache);
  if (!state.installed) install();
}

export function markClean(cache: Flushable): void {
  state.dirty.delete(cache);
}
