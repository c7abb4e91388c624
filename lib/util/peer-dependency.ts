import { MemoirError } from '../errors';

/**
 * Server drivers are optional peer dependencies, loaded only by the backend that uses them.
 * Checking that one can be found, where the backend is chosen, turns a missing package into
 * one clear error instead of an outage reported on every call.
 */
export function assertPeerDependency(pkg: string, feature: string): void {
  try {
    require.resolve(pkg);
  } catch {
    throw new MemoirError(
      'MISSING_PEER_DEPENDENCY',
      `${feature} needs the "${pkg}" package, which is not installed. Install it: npm install ${pkg}`,
    );
  }
}

/** `require(pkg)`, with the same clear error when it is missing. */
export function loadPeerDependency<T>(pkg: string, feature: string): T {
  assertPeerDependency(pkg, feature);
  return require(pkg) as T;
}
