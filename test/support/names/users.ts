import { cached } from '../../../lib';

/** A `load` of one module; orders.ts has another. Their default names must differ. */
export const load = cached(function load(id: number) {
  return { module: 'users', id };
}, { backend: 'memory' });
