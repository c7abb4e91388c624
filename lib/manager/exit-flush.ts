/**
 * Saves caches with unsaved changes when the process ends normally, so a change is not lost
 * just because the auto-sync timer (unref'd, so it never keeps the process alive) had not
 * fired yet.
 *
 * - `beforeExit` fires when the event loop drains on its own; `exit` also fires after an
 *   explicit `process.exit()`, where `beforeExit` does not. Both flush; the second finds
 *   nothing left to do. Signals and crashes are not normal exits and are not covered.
 * - The handlers only run synchronous saves (an `exit` listener cannot wait), and they are
 *   plain listeners, which never keep the process alive by themselves.
 * - Only caches with pending changes are held here, so an idle cache can be collected.
 */
export interface Flushable {
  /** Saves pending changes synchronously; must not throw (report instead). */
  flushSync(): void;
}

const dirty = new Set<Flushable>();
let installed = false;

function flushAll(): void {
  for (const cache of [...dirty]) {
    dirty.delete(cache);
    cache.flushSync();
  }
}

export function markDirty(cache: Flushable): void {
  dirty.add(cache);
  if (!installed) {
    installed = true;
    process.on('beforeExit', flushAll);
    process.on('exit', flushAll);
  }
}

export function markClean(cache: Flushable): void {
  dirty.delete(cache);
}
