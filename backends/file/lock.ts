/** The file lock lives in lib/util (the manager's saved caches use it too). */
export { clearStaleLock, LOCK_STALE_MS, withLockAsync, withLockSync } from '../../lib/util';
