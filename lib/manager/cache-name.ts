import { describe, MemoirError } from '../errors';

/**
 * Cache and manager names become single path segments on disk
 * (`<cacheDirectory>/<managerName>/<cacheName>`), so a name that could climb or split the
 * path is refused outright rather than silently rewritten into a different name.
 */
export function assertValidName(kind: 'cache' | 'manager', name: unknown): asserts name is string {
  const problem =
    typeof name !== 'string'
      ? `must be a string, got ${describe(name)}`
      : name.length === 0
        ? 'must not be empty'
        : /[/\\\0]/.test(name)
          ? 'must not contain "/", "\\" or NUL characters'
          : name === '.' || name === '..'
            ? 'must not be "." or ".."'
            : undefined;
  if (problem) {
    throw new MemoirError(
      'INVALID_NAME',
      `Invalid ${kind} name ${describe(name)}: a ${kind} name ${problem}.`,
    );
  }
}

/**
 * Names that only identify a cache (memoized functions, and the ends of dependency edges),
 * never a path of the manager's: any non-empty text without NUL, so default function names
 * such as `my-app/src/users.ts:load` are accepted.
 */
export function assertValidReference(name: unknown): asserts name is string {
  if (typeof name === 'string' && name.length > 0 && !name.includes('\0')) return;
  throw new MemoirError('INVALID_NAME', `Invalid cache name ${describe(name)}: it must be a non-empty string without NUL characters.`);
}
