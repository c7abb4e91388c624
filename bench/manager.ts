/**
 * Invalidation of a chain of memory (non-persistent) manager caches: c0 → c1 → … → cN-1,
 * each holding a few entries. `manager.invalidate('c0')` must clear all of them, each once.
 * Target (issue 5): a 1,000-cache chain in under 50 ms.
 *
 * Called by the benchmark harness; also runnable alone: npx tsx bench/manager.ts
 */
import { performance } from 'node:perf_hooks';
import { CacheManager } from '../lib/manager/manager';

export interface ManagerBenchOptions {
  /** Caches in the chain; default 1,000. */
  size?: number;
  /** Timed runs (a fresh chain each); default 15. The median is reported. */
  runs?: number;
  /** Entries per cache; default 10. */
  entriesPerCache?: number;
}

export interface ManagerBenchResult {
  name: string;
  size: number;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

function buildChain(run: number, size: number, entriesPerCache: number): CacheManager {
  const manager = new CacheManager(`bench-chain-${run}`);
  for (let i = 0; i < size; i++) {
    const cache = manager.registerCache(`c${i}`, { persistent: false });
    for (let k = 0; k < entriesPerCache; k++) cache.set(k, k);
    if (i > 0) manager.registerDependentCache(`c${i - 1}`, `c${i}`);
  }
  return manager;
}

export async function benchManagerInvalidation(
  options: ManagerBenchOptions = {},
): Promise<ManagerBenchResult> {
  const { size = 1000, runs = 15, entriesPerCache = 10 } = options;
  // Warm-up, so the median measures steady state rather than JIT compilation.
  for (let run = 0; run < 3; run++) {
    await buildChain(-1 - run, size, entriesPerCache).invalidate('c0');
  }
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const manager = buildChain(run, size, entriesPerCache);
    const started = performance.now();
    await manager.invalidate('c0');
    times.push(performance.now() - started);
    const last = manager.retrieveCache(`c${size - 1}`);
    if (last.size !== 0) throw new Error('benchmark chain was not fully invalidated');
  }
  times.sort((a, b) => a - b);
  return {
    name: `manager: invalidate a ${size}-cache chain (memory caches)`,
    size,
    runs,
    medianMs: times[Math.floor(times.length / 2)],
    minMs: times[0],
    maxMs: times[times.length - 1],
  };
}

if (require.main === module) {
  benchManagerInvalidation().then((result) => console.log(result));
}
