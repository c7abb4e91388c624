import { cached } from '../../../lib';

/** A `load` of another module; users.ts has one too. */
export const load = cached(function load(id: number) {
  return { module: 'orders', id };
}, { backend: 'memory' });
