import { cached } from '../../lib';
import type { AnyAsync, AnySync, Peer } from './types';

/** memoir through its public API on the memory core, with default key hashing. */
export async function load(): Promise<Peer> {
  let count = 0;
  // Distinct names: memoir shares entries between functions of the same name.
  const name = () => `bench.memoir.${process.pid}.${count++}`;
  return {
    name: 'memoir',
    setup: "cached(fn, { backend: 'memory' }), default keys (type-aware, injective)",
    sync: (fn: AnySync) => cached(fn, { backend: 'memory', name: name() }),
    async: (fn: AnyAsync) => cached(fn, { backend: 'memory', name: name() }),
  };
}
