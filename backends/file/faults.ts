import type { CoreEvent } from '../../lib/contract';
import { MemoirError } from '../../lib/errors';

export type Report = (event: Omit<CoreEvent, 'cache'>) => void;

/**
 * Recoverable faults (bad files, unwritable directories) are reported, not thrown: a cache
 * that cannot read or write behaves as an empty one and the user's call still returns. Each
 * distinct fault of a path is reported once, so a corrupt file read on every call does not
 * flood the log; the memory of it is cleared when the path works again. With `strict` the
 * fault is thrown instead.
 */
export class Faults {
  private readonly reported = new Map<string, string>();

  constructor(
    private readonly cache: string,
    private readonly report: Report,
    private readonly strict: boolean,
  ) {}

  /** A file whose contents cannot be used (foreign, truncated, another format version). */
  corrupt(location: string, problem: string, error?: unknown): void {
    const message = `Cache "${this.cache}": ignoring ${location}: ${problem}`;
    if (this.strict) throw new MemoirError('CORRUPT_ENTRY', message, { cause: error });
    this.once(location, `corrupt:${problem}`, { type: 'corrupt-entry', message, location, error });
  }

  /** An I/O failure (permissions, missing or read-only directory, full disk). */
  io(location: string, operation: string, error: unknown): void {
    const code = (error as NodeJS.ErrnoException)?.code ?? 'UNKNOWN';
    const message =
      `Cache "${this.cache}": cannot ${operation} ${location} (${code}: ${(error as Error)?.message}); ` +
      'continuing without the cache for this entry';
    if (this.strict) throw new MemoirError('BACKEND_ERROR', message, { cause: error });
    this.once(location, `io:${code}`, { type: 'backend-error', message, location, error });
  }

  /** The path read or wrote fine: a later fault of it is news again. */
  cleared(location: string): void {
    if (this.reported.size > 0) this.reported.delete(location);
  }

  private once(location: string, signature: string, event: Omit<CoreEvent, 'cache'>): void {
    if (this.reported.get(location) === signature) return;
    this.reported.set(location, signature);
    this.report(event);
  }
}

/** Duck-typed: errors from fs may come from another realm (Jest's VM), failing instanceof. */
export function isFsError(error: unknown): error is NodeJS.ErrnoException {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    typeof (error as NodeJS.ErrnoException).syscall === 'string'
  );
}
