/**
 * The one interface every peer adapter implements, so the harness treats memoir and the
 * other libraries alike: it hands each adapter the same function bodies and arguments.
 */

/**
 * What the wrapped function takes: `primitives` is `(a: number, b: string)`, `object` is one
 * small nested object. Libraries that key by a string need to know which key to build.
 */
export type Shape = 'primitives' | 'object';

export type AnySync = (...args: any[]) => unknown;
export type AnyAsync = (...args: any[]) => Promise<unknown>;

export interface Peer {
  /** The npm package name, as printed in the tables. */
  readonly name: string;
  /** One line on how the library is configured here (key function, store, options). */
  readonly setup: string;
  /**
   * Memoizes a sync function so it stays sync. Absent when the library has no sync path.
   * Every call returns an independent cache.
   */
  sync?(fn: AnySync, shape: Shape, entries: number): AnySync;
  /**
   * Memoizes an async function; every call returns an independent cache. `entries`: how many
   * distinct arguments it will be called with, for libraries whose cache must be sized.
   */
  async(fn: AnyAsync, shape: Shape, entries: number): AnyAsync;
  /** Releases timers and handles the adapter created, so the process can exit. */
  close?(): Promise<void>;
}

export type LoadPeer = () => Promise<Peer>;
