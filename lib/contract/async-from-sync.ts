import type { StoreOperations } from './core';

/**
 * The async half of the core contract for a core whose operations are sync (and cheap): the
 * same semantics, resolved. A core whose sync operations do I/O should give real async ones
 * instead, so async callers never block the event loop.
 */
export function asyncFromSync(ops: StoreOperations<'sync'>): StoreOperations<'async'> {
  const lift =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    async (...args: A): Promise<R> =>
      fn(...args);
  return {
    get: lift(ops.get.bind(ops)),
    acquire: lift(ops.acquire.bind(ops)),
    renew: lift(ops.renew.bind(ops)),
    release: lift(ops.release.bind(ops)),
    write: lift(ops.write.bind(ops)),
    delete: lift(ops.delete.bind(ops)),
    clear: lift(ops.clear.bind(ops)),
    clearBeingCalculated: lift(ops.clearBeingCalculated.bind(ops)),
    deleteStale: lift(ops.deleteStale.bind(ops)),
    keys: lift(ops.keys.bind(ops)),
  };
}
