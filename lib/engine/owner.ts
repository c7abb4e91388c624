import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Owners name one calculation attempt: host and pid say who to blame in `memoir list`, the
 * random part keeps two processes with a recycled pid apart, the counter keeps two
 * calculations of the same process apart.
 */
const processTag = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
let counter = 0;

export function newOwner(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${processTag}:${counter}`;
}
