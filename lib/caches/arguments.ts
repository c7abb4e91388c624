import { describe, MemoirError } from '../errors';

/** A command called with an argument it cannot use: names the argument, what came, what fits. */
export function invalidArgument(name: string, given: unknown, accepted: string): MemoirError {
  return new MemoirError('INVALID_ARGUMENT', `Invalid argument "${name}": got ${describe(given)}; expected ${accepted}.`);
}
