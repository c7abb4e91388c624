import { MemoirError } from '../errors';
import type { MemoHost } from './host';

/** A storage operation failed: tells backend faults apart from the user's own errors. */
export class BackendFailure {
  constructor(readonly error: unknown) {}
}

/**
 * What a backend failure does to a call. 'fallback' (the default): it is reported once per
 * incident and the call goes on uncached, so an outage costs speed, never answers. 'throw':
 * the call rejects with BACKEND_ERROR.
 */
export function onBackendFailure(host: MemoHost, error: unknown): void {
  host.record.backendError(error);
  if (host.settings.onBackendError !== 'throw') return;
  throw error instanceof MemoirError
    ? error
    : new MemoirError('BACKEND_ERROR', `Cache "${host.name}": backend error: ${String(error)}`, { cause: error });
}
