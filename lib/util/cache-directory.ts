import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Where memoir keeps persistent data unless told otherwise:
 * `$MEMOIR_CACHE_DIR`, else `$XDG_CACHE_HOME/memoir`, else `~/.cache/memoir`.
 *
 * Read on every call (not once at import) so that setting the variable in a test or a CLI
 * wrapper before the first cache is used takes effect. Empty variables count as unset, and a
 * relative `XDG_CACHE_HOME` is ignored, as the XDG base-directory spec requires.
 */
export function defaultCacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.MEMOIR_CACHE_DIR;
  if (explicit) return path.resolve(explicit);
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'memoir');
  return path.join(os.homedir(), '.cache', 'memoir');
}
