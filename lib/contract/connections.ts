/**
 * Connections a backend holds beyond its cores (a pool shared by many cores, a listening
 * connection): the backend registers a closer when it is loaded, and `closeConnections()`
 * (lib/engine) runs them after closing the cores it opened. lib/ stays free of backend
 * imports, and a backend that was never loaded has nothing to close. Closers close only
 * what memoir opened itself, never a client or handle the user passed in.
 */
type Closer = () => Promise<void>;

const closers = new Set<Closer>();

export function registerConnectionCloser(closer: Closer): void {
  closers.add(closer);
}

export async function closeRegisteredConnections(): Promise<void> {
  await Promise.allSettled([...closers].map((close) => close()));
}
