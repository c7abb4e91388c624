/**
 * The dependent-cache manager in four short stories. Run it twice:
 *   npx tsx examples/dependent-caches.ts
 * The first story shows the value saved by the previous run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getCacheManager } from 'memoir';

// A dedicated directory, so the example never writes into your real cache directory.
const cacheDirectory = path.join(process.env.MEMOIR_CACHE_DIR ?? os.tmpdir(), 'memoir-examples');

async function simplePersistentCache(): Promise<void> {
  console.log('1. A simple persistent cache');
  const manager = getCacheManager('examples');
  manager.cacheDirectory = cacheDirectory;
  const cache = manager.registerCache<string, string>('my_simple_cache');
  // undefined on the first run, 'my_value' on every later run: it was saved to disk.
  console.log('   my_key from the previous run:', cache.get('my_key'));
  cache.set('my_key', 'my_value');
  // Auto-sync and the exit flush would save it too; saving explicitly is also possible.
  await manager.saveCacheContents('my_simple_cache');
  console.log('   saved to', path.join(cacheDirectory, manager.name, 'my_simple_cache'));
}

async function nonPersistentCache(): Promise<void> {
  console.log('2. A non-persistent cache');
  const manager = getCacheManager('examples');
  const cache = manager.registerCustomCache<string, string>('my_volatile_cache', {
    persistent: false,
  });
  cache.set('my_key', 'my_value');
  await cache.save(); // a no-op: this cache never touches disk
  const file = path.join(cacheDirectory, manager.name, 'my_volatile_cache');
  console.log('   in memory:', cache.get('my_key'), '| on disk:', fs.existsSync(file));
}

async function customHooks(): Promise<void> {
  console.log('3. Custom saver and loader hooks');
  const manager = getCacheManager('examples-hooks');
  manager.cacheDirectory = cacheDirectory; // unused here (the hooks replace the disk), but never the real one
  const cache = manager.registerCustomCache<string, string>('my_cache', {
    saver: (name, contents) => {
      console.log(`   save requested on ${name}:`, Object.fromEntries(contents));
    },
    loader: (name) => {
      console.log(`   load requested on ${name}`);
      return { load: 'faked' };
    },
  });
  // The same hooks could be set with manager.registerSaver / manager.registerLoader.
  cache.set('new', 'real');
  await cache.save(); // prints { load: 'faked', new: 'real' }
}

async function dependentCaches(): Promise<void> {
  console.log('4. Dependent caches');
  const manager = getCacheManager('examples');
  // Start every run from the same state (root_cache is persistent and would remember 'raw').
  await manager.deleteSavedCacheContents('root_cache');
  const edge = manager.retrieveCache<string, number>('edge_cache');
  const root = manager.registerCache<string, number>('root_cache');
  manager.registerDependentCache('root_cache', 'edge_cache');

  // Computes 'processed' from root's 'raw' value and caches it in the edge cache.
  const processedValue = (): number => {
    let processed = edge.get('processed');
    if (processed === undefined) {
      processed = (root.get('raw') ?? 0) * 5;
      edge.set('processed', processed);
    }
    return processed;
  };

  console.log('   processed without a raw value:', processedValue()); // 0
  root.set('raw', 1);
  console.log('   processed after raw = 1:', processedValue(), '(stale: the edge kept 0)');

  // Invalidating the root clears it and everything that depends on it.
  await root.invalidate();
  console.log('   edge after root.invalidate():', Object.fromEntries(edge)); // {}
  root.set('raw', 1);
  console.log('   processed after raw = 1 again:', processedValue()); // 5
  console.log('   edge now holds:', Object.fromEntries(edge)); // { processed: 5 }
}

async function main(): Promise<void> {
  await simplePersistentCache();
  await nonPersistentCache();
  await customHooks();
  await dependentCaches();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
