import { MemoirError } from '../errors';
import type { MemoHost } from './host';

/** A storage operation failed: tells backend faults apart from the user's own errors. */
export class BackendFailure {
  constructor(readonly error: unknown) {}
}

/** Any failure of the backend (a lookup, a write, a lease renewal): opens the breaker, reported once per incident. */
export function noteBackendFault(host: MemoHost, error: unknown): void {
  if (host.breaker.failed()) host.record.backendIncident(error);
}

/**
 * What a backend failure does to a call. 'fallback' (the default): the call goes on
 * uncached, so an outage costs speed, never answers. 'throw': the call rejects with
 * BACKEND_ERROR.
 */
export function onBackendFailure(host: MemoHost, error: unknown): void {
  noteBackendFault(host, error);
  if (host.settings.onBackendError === 'throw') throw backendError(host, error);
}

export function backendError(host: MemoHost, error: unknown): MemoirError {
  return error instanceof MemoirError
    ? error
    : new MemoirError('BACKEND_ERROR', `Cache "${host.name}": backend error: ${String(error)}`, { cause: error });
}
