import { closeRegisteredConnections, type Core } from '../contract';

/**
 * Every core the engine opened in this process, so that `closeConnections()` can release
 * what memoir holds (server connections it opened from a URI, watchers, timers) when a
 * program wants to end cleanly. Clients the user passed in are never closed by their cores.
 */
const opened = new Map<Core, () => void>();

/**
 * Records an opened core; `forget` makes its owner open a new one on next use. A core with
 * nothing to close (memory) is not held at all: a program that creates memoized functions
 * per request would otherwise keep every one of their cores, and their entries, forever.
 */
export function remember(core: Core, forget: () => void): void {
  if (typeof core.close !== 'function') return;
  opened.set(core, forget);
}

/** Closes every connection memoir opened itself; memoized functions reconnect on their next call. */
export async function closeConnections(): Promise<void> {
  const cores = [...opened];
  opened.clear();
  for (const [, forget] of cores) forget();
  await Promise.allSettled(cores.map(([core]) => core.close?.()));
  // Pools and listeners shared by cores (or opened by tools such as the CLI) go too.
  await closeRegisteredConnections();
}
