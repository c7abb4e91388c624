import { MemoirError } from '../errors';
import type { MemoHost } from './host';

/** A storage operation failed: tells backend faults apart from the user's own errors. */
export class BackendFailure {
  constructor(readonly error: unknown) {}
}

/**
 * The caller's own input refused by the backend (a key longer than its column, from a
 * `hashFunc`): every call with that key fails alike, while the backend serves every other key.
 */
function refusedInput(error: unknown): MemoirError | undefined {
  return error instanceof MemoirError && error.code === 'INVALID_KEY' ? error : undefined;
}

/** Any failure of the backend (a lookup, a write, a lease renewal): opens the breaker, reported once per incident. */
export function noteBackendFault(host: MemoHost, error: unknown): void {
  if (refusedInput(error)) return; // not a backend incident: other keys keep their cache
  if (host.breaker.failed()) host.record.backendIncident(error);
}

/**
 * What a backend failure does to a call. 'fallback' (the default): the call goes on
 * uncached, so an outage costs speed, never answers. 'throw': the call rejects with
 * BACKEND_ERROR. A key the backend refuses is the caller's error (INVALID_KEY), in either mode.
 */
export function onBackendFailure(host: MemoHost, error: unknown): void {
  const refused = refusedInput(error);
  if (refused) throw refused;
  noteBackendFault(host, error);
  if (host.settings.onBackendError === 'throw') throw backendError(host, error);
}

export function backendError(host: MemoHost, error: unknown): MemoirError {
  return error instanceof MemoirError
    ? error
    : new MemoirError('BACKEND_ERROR', `Cache "${host.name}": backend error: ${String(error)}`, { cause: error });
}
