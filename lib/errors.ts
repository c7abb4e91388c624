/**
 * Every error memoir raises is a MemoirError with a stable `code`, so callers can branch on
 * the code instead of parsing messages. The wrapped function's own errors are never wrapped:
 * they reach the caller exactly as thrown.
 */
export type MemoirErrorCode =
  // Key-value caches (API.md sections 7 and 10).
  | 'KEY_EXISTS'
  | 'NOT_A_NUMBER'
  | 'TIMEOUT'
  | 'LOCK_CONFLICT'
  | 'UNKNOWN_ALIAS'
  | 'UNSUPPORTED'
  | 'INVALID_OPTION'
  | 'UNKNOWN_PARAM'
  | 'UNHASHABLE_ARGUMENT'
  | 'SERIALIZATION_FAILED'
  | 'CORRUPT_ENTRY'
  | 'BACKEND_ERROR'
  | 'DEPENDENCY_CYCLE'
  | 'INVALID_NAME'
  | 'UNKNOWN_CACHE'
  | 'CONFLICTING_REGISTRATION'
  | 'HOOK_FAILED'
  | 'INVALID_CONTENTS'
  | 'NOT_SUPPORTED'
  | 'INVALID_KEY'
  | 'MISSING_PEER_DEPENDENCY'
  | 'INVALID_ARGUMENT'
  // Data-structure caches (API.md section 8): a key holding another kind of value.
  | 'WRONG_TYPE'
  | 'TIMEOUT';

export class MemoirError extends Error {
  readonly code: MemoirErrorCode;

  constructor(code: MemoirErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MemoirError';
    this.code = code;
  }
}

/** Error for a bad option value: names the option, what was given and what is accepted. */
export function invalidOption(option: string, given: unknown, accepted: string): MemoirError {
  return new MemoirError(
    'INVALID_OPTION',
    `Invalid option "${option}": got ${describe(given)}; expected ${accepted}.`,
  );
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return 'an array';
  return `an object (${value.constructor?.name ?? 'null prototype'})`;
}
