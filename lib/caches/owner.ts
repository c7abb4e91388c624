import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Lock owners name one acquisition: host and pid say who holds a lock when someone looks at the
 * store, the random part keeps two processes with a recycled pid apart, the counter keeps two
 * acquisitions of one process apart.
 */
const processTag = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
let counter = 0;

export function newOwner(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${processTag}:${counter}`;
}
