import * as fs from 'node:fs';

/**
 * Wake-ups for callers waiting on another caller's calculation.
 *
 * One fs.watch per directory, shared by every waiter of every core in this process (never one
 * watcher per waiter: inotify watches are a limited resource). A waiter names the file that
 * holds its key and is woken when that file is replaced or removed, by this process (told
 * directly, without waiting for the kernel) or by any other. Where fs.watch does not work
 * (some network and container filesystems, exhausted watch limits) every waiter still has its
 * own timer, so waiting degrades to polling, never to hanging. Nothing here keeps the process
 * alive: the watcher is not persistent and every timer is unref'd. An idle watcher lingers
 * briefly, so back-to-back waits of a polling loop reuse it.
 */
const LINGER_MS = 2_000;

interface Waiter {
  file: string;
  wake(): void;
}

class DirectoryWatch {
  readonly waiters = new Set<Waiter>();
  private watcher: fs.FSWatcher | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    private readonly onIdle: () => void,
  ) {}

  get watching(): boolean {
    return this.watcher !== undefined;
  }

  add(waiter: Waiter): void {
    this.waiters.add(waiter);
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.watcher ??= this.open();
  }

  remove(waiter: Waiter): void {
    this.waiters.delete(waiter);
    if (this.waiters.size > 0 || this.lingerTimer) return;
    this.lingerTimer = setTimeout(() => this.close(), LINGER_MS);
    this.lingerTimer.unref();
  }

  /** Wakes the waiters of `file`, or all of them when the event names no file. */
  changed(file: string | null): void {
    for (const waiter of [...this.waiters]) {
      if (file === null || waiter.file === file) waiter.wake();
    }
  }

  close(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.waiters.size === 0) this.onIdle();
  }

  private open(): fs.FSWatcher | undefined {
    try {
      const watcher = fs.watch(this.dir, { persistent: false }, (_event, file) =>
        this.changed(typeof file === 'string' ? file : null),
      );
      watcher.on('error', () => {
        // The directory went away or the watch broke: wake everyone to re-read, then poll.
        watcher.close();
        if (this.watcher === watcher) this.watcher = undefined;
        this.changed(null);
      });
      return watcher;
    } catch {
      return undefined; // no directory yet, or no watch support: the timers still fire
    }
  }
}

const watches = new Map<string, DirectoryWatch>();

function watchFor(dir: string): DirectoryWatch {
  let watch = watches.get(dir);
  if (!watch) {
    const created = new DirectoryWatch(dir, () => {
      if (watches.get(dir) === created) watches.delete(dir);
    });
    watches.set(dir, created);
    watch = created;
  }
  return watch;
}

/** A pending wait; `cancel` resolves it at once (used by close). */
export interface Wait {
  promise: Promise<void>;
  cancel(): void;
}

/** Resolves when `file` in `dir` changes or after `maxMs`, whichever comes first. */
export function waitForFile(dir: string, file: string, maxMs: number): Wait {
  const watch = watchFor(dir);
  let finish!: () => void;
  const promise = new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const waiter: Waiter = { file, wake: () => finish() };
    finish = () => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      watch.remove(waiter);
      resolve();
    };
    watch.add(waiter);
    timer = setTimeout(finish, Math.max(0, maxMs));
    timer.unref();
  });
  return { promise, cancel: () => finish() };
}

/** Tells this process's waiters at once that `file` in `dir` was replaced or removed. */
export function notifyChange(dir: string, file: string): void {
  watches.get(dir)?.changed(file);
}

/** How many fs.watch handles are open (for tests: one per directory, not one per waiter). */
export function openWatcherCount(): number {
  let count = 0;
  for (const watch of watches.values()) if (watch.watching) count++;
  return count;
}
