/**
 * The CLI's exit codes: 0 done, 1 the operation failed (unknown cache, unreachable server,
 * unreadable input), 2 the command line itself is wrong. Scripts branch on them.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A command line that cannot be run as written; printed with a pointer to --help. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help to point at, when one was recognized. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An operation that ran and failed for a reason the user can act on (exit code 1). */
export class CliFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliFailure';
  }
}
