import * as fs from 'node:fs';

/**
 * Data files this process keeps open, so that a hit checks its file with one `fstat` of a
 * descriptor it already has (size, mtime, link count) instead of opening the path, reading the
 * header and closing it again (about 0.8 µs against 4 µs here).
 *
 * Holding the descriptor is also what makes that one `fstat` enough: the inode stays the one
 * this process read, so it cannot be reused for another file behind its back, and whatever
 * memoir does to a file it holds shows in that `fstat` — an append grows it, a compaction or
 * clear appends a seal before it renames or removes the file, and a file renamed over or
 * removed has no links left (docs/file.md).
 *
 * Process-wide and bounded: at most MAX_HELD_FILES descriptors (least recently used out first),
 * and one unused for IDLE_MS is closed, so a file another process removed gives its disk space
 * back soon even when this process never looks at it again. A handle in use by an operation
 * that awaits (a large read or write) is pinned and closed only once it is unpinned, so its
 * descriptor number is never reused under that operation.
 */
export const MAX_HELD_FILES = 256;
const IDLE_MS = 30_000;

export class Handle {
  /** Operations using the descriptor across an await. */
  pins = 0;
  /** False once released: the descriptor is closed (or will be, when the last pin goes). */
  held = true;
  /** When it was last used, on the `uses` counter; `seen` is that value at the last idle sweep. */
  used = 0;
  seen = -1;

  constructor(
    readonly fd: number,
    readonly ino: number,
    /** Opened for appending too (a read-only file is held for reading only). */
    readonly writable: boolean,
  ) {}
}

const handles = new Set<Handle>();
let uses = 0;
let sweeping = false;

/** Keeps `fd` (open on the inode `ino`) open for later operations. */
export function hold(fd: number, ino: number, writable: boolean): Handle {
  const handle = new Handle(fd, ino, writable);
  handle.used = ++uses;
  handles.add(handle);
  if (handles.size > MAX_HELD_FILES) releaseLeastRecent();
  if (!sweeping) scheduleSweep();
  return handle;
}

/** Marks `handle` as used now (the least recently used one goes first). */
export function touch(handle: Handle): void {
  handle.used = ++uses;
}

/** Closes the descriptor now, or when its last pin goes; idempotent. */
export function release(handle: Handle | undefined): void {
  if (handle === undefined || !handle.held) return;
  handle.held = false;
  handles.delete(handle);
  if (handle.pins === 0) closeQuietly(handle.fd);
}

export function pin(handle: Handle): void {
  handle.pins++;
}

export function unpin(handle: Handle): void {
  if (--handle.pins === 0 && !handle.held) closeQuietly(handle.fd);
}

/** How many descriptors are held (for tests). */
export function heldCount(): number {
  return handles.size;
}

function releaseLeastRecent(): void {
  let oldest: Handle | undefined;
  for (const handle of handles) {
    if (handle.pins === 0 && (oldest === undefined || handle.used < oldest.used)) oldest = handle;
  }
  release(oldest);
}

/** Every IDLE_MS while descriptors are held: closes those not used since the last sweep. */
function scheduleSweep(): void {
  sweeping = true;
  const timer = setTimeout(() => {
    for (const handle of handles) {
      if (handle.used === handle.seen && handle.pins === 0) release(handle);
      else handle.seen = handle.used;
    }
    if (handles.size > 0) scheduleSweep();
    else sweeping = false;
  }, IDLE_MS);
  timer.unref?.();
}

/**
 * Closing the last descriptor of a file that was replaced or removed frees its blocks, which
 * takes milliseconds on some disks: done in the thread pool, off the event loop. A process that
 * never yields (sync calls in a loop) would pile those up, so past a few pending ones a close
 * is done in place.
 */
const MAX_PENDING_CLOSES = 64;
let pendingCloses = 0;

function closeQuietly(fd: number): void {
  if (pendingCloses < MAX_PENDING_CLOSES) {
    pendingCloses++;
    fs.close(fd, () => pendingCloses--);
    return;
  }
  try {
    fs.closeSync(fd);
  } catch {
    // Already closed or never valid: nothing to give back.
  }
}
