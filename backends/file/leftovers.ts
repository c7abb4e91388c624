import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENTRY_FILE, SHARD_FILE } from './layout';
import { clearStaleLock, LOCK_STALE_MS } from './lock';

/**
 * What a killed process leaves in a cache directory besides the data files, and its removal.
 *
 * New files are written under a temporary name and then linked or renamed into place
 * (whole-file.ts, through lib/util's tempNameFor: `.<data file>.<pid>.<12 hex>.tmp`); a
 * compaction holds a `<data file>.lock` directory (lock.ts). A process killed in between
 * leaves them behind. A temporary file older than the stale-lock time belongs to a dead
 * writer: a live one links or renames its file right after writing it, and a compaction
 * whose prepared file is removed while it waits for the lock writes its records again under
 * the lock (replace.ts). A stale lock is broken the way proper-lockfile breaks it for a new
 * holder, so a live holder is never robbed. Ages are file times, so they are measured with
 * the wall clock (the only clock file times are on).
 */

const TEMP_FILE = /^\.(.+)\.\d+\.[0-9a-f]{12}\.tmp$/;
const LOCK_DIR = /^(.+)\.lock$/;

/** A data file of either layout (layout.ts). */
export function isDataFileName(name: string): boolean {
  return SHARD_FILE.test(name) || ENTRY_FILE.test(name);
}

/** A temporary file of a data file, as written by tempNameFor. */
export function isTempFileName(name: string): boolean {
  const match = TEMP_FILE.exec(name);
  return match !== null && isDataFileName(match[1]);
}

/** The lock directory of a data file. */
export function isLockDirName(name: string): boolean {
  const match = LOCK_DIR.exec(name);
  return match !== null && isDataFileName(match[1]);
}

/**
 * Removes the temporary files older than the stale-lock time and the stale locks of `dir`;
 * returns how many it removed. A missing directory has none; other fs errors reject.
 */
export async function removeLeftovers(dir: string, staleMs = LOCK_STALE_MS): Promise<number> {
  let entries: fs.Dir;
  try {
    entries = await fs.promises.opendir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let removed = 0;
  for await (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && isTempFileName(entry.name)) {
      if (await olderThan(full, staleMs)) removed += await unlinked(full);
    } else if (entry.isDirectory() && isLockDirName(entry.name)) {
      if ((await olderThan(full, staleMs)) && clearStaleLock(full.slice(0, -'.lock'.length))) removed++;
    }
  }
  return removed;
}

async function olderThan(file: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await fs.promises.lstat(file)).mtimeMs > ms;
  } catch {
    return false; // gone already
  }
}

async function unlinked(file: string): Promise<number> {
  try {
    await fs.promises.unlink(file);
    return 1;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/** Once per this long per directory and process, a write looks for leftovers. */
export const SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * Sweeps one cache directory in the background: after the first write of the process, then
 * at most once per SWEEP_INTERVAL_MS of writes, and at every cleanup or clear. A sweep never
 * delays the write that started it and never fails it: its errors are dropped (a directory
 * the process cannot list is reported by the operations themselves).
 */
export class LeftoverSweeper {
  private lastStart = Number.NEGATIVE_INFINITY;
  private running: Promise<number> | undefined;

  constructor(
    private readonly dir: string,
    private readonly intervalMs = SWEEP_INTERVAL_MS,
  ) {}

  afterWrite(): void {
    if (performance.now() - this.lastStart >= this.intervalMs) void this.sweep();
  }

  /** Starts a sweep unless one is running; resolves how many leftovers it removed. */
  sweep(): Promise<number> {
    if (this.running) return this.running;
    this.lastStart = performance.now();
    this.running = removeLeftovers(this.dir)
      .catch(() => 0)
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Resolves once no sweep is running (close() waits for it). */
  async idle(): Promise<void> {
    await this.running;
  }
}
