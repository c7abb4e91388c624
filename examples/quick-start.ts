/**
 * Quick start: memoize a slow function on the default backend (the file core), so its
 * results survive restarts. Run it twice: the second run answers from disk at once.
 *
 *   npx tsx examples/quick-start.ts
 */
import { cached } from 'memoir';

function slowSquare(n: number): number {
  const until = Date.now() + 300; // stands for real work
  while (Date.now() < until);
  return n * n;
}

const square = cached(slowSquare, { staleAfter: '1h' });

const started = Date.now();
const first = square(12);
const firstMs = Date.now() - started;
const again = Date.now();
const second = square(12);
const secondMs = Date.now() - again;

console.log(`square(12) = ${first}  (${firstMs} ms: ${firstMs >= 250 ? 'computed' : 'read from the cache on disk'})`);
console.log(`square(12) = ${second}  (${secondMs} ms: served from the cache)`);
console.log(`entries live in ${square.cachePath()}`);
console.log('stats:', square.stats());
