import { MemoirError } from '../../lib/errors';

/**
 * Server and network failures become MemoirError 'BACKEND_ERROR' naming the cache, the
 * operation and the collection, with the driver's error as `cause`. Errors that already are
 * MemoirErrors (serialization, bad options) pass through untouched.
 */
export function backendError(
  cache: string,
  operation: string,
  location: string,
  cause: unknown,
): MemoirError {
  if (cause instanceof MemoirError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new MemoirError(
    'BACKEND_ERROR',
    `Cache "${cache}": MongoDB ${operation} on ${location} failed: ${reason}`,
    { cause },
  );
}

/** E11000: a unique index refused the write. For acquire it means "someone else holds it". */
export function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 11000;
}
