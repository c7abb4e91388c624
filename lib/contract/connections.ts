/**
 * `closeConnections()`: closes every connection memoir opened itself (pools from URLs,
 * listening connections), never a handle the user passed in. Backends that open connections
 * register a closer when they are loaded, so lib/ stays free of backend imports and a backend
 * that was never loaded has nothing to close. Cores reopen lazily on their next call.
 */
type Closer = () => Promise<void>;

const closers = new Set<Closer>();

export function registerConnectionCloser(closer: Closer): void {
  closers.add(closer);
}

export async function closeConnections(): Promise<void> {
  const outcomes = await Promise.allSettled([...closers].map((close) => close()));
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}
