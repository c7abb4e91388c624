/**
 * Child process for the exit-flush test. Usage: manager-child.ts <cacheDir> <run> <exitMode>
 * Prints the contents it found (left by the previous run) as JSON, then changes the cache and
 * ends WITHOUT saving explicitly: either by letting the event loop drain ('natural') or by
 * calling process.exit ('process-exit'). The changes must still reach the next run.
 */
import { getCacheManager } from '../../lib/manager/manager';

const [cacheDir, runText, exitMode] = process.argv.slice(2);
const run = Number(runText);

const manager = getCacheManager('exit-test');
manager.cacheDirectory = cacheDir;
const cache = manager.registerCache<string, number>('values');

process.stdout.write(`${JSON.stringify(Object.fromEntries(cache))}\n`);

cache.set('run', run);
for (let i = 0; i < 25; i++) cache.set(`run${run}-item${i}`, run * 100 + i);
// A deletion must survive too: the previous run's first item disappears.
cache.delete(`run${run - 1}-item0`);

if (exitMode === 'process-exit') process.exit(0);
