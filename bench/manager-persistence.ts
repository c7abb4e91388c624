/**
 * Persistent manager caches shared by processes: what the merge and the set-time check cost.
 *
 * - `set` on a persistent cache (each value is checked with node:v8 so an unsavable one is
 *   refused at once) beside `set` on a non-persistent one;
 * - a save of a batch of changes merged into a saved file of many entries, which is what every
 *   auto-sync save and exit flush does: when the file is still the one the process last saw
 *   (a few header bytes tell), merge and write; when another process saved meanwhile, read
 *   the file whole first;
 * - loading that file on registration.
 *
 * Called by the benchmark harness; also runnable alone: npx tsx bench/manager-persistence.ts
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CacheManager } from '../lib';

export interface PersistenceBenchOptions {
  quick?: boolean;
  /** Entries already saved when a batch is merged in; default 100,000 (quick: 10,000). */
  saved?: number;
  /** Changes per merged save; default 1,000. */
  batch?: number;
}

export interface PersistenceRow {
  operation: string;
  median: string;
  perItem?: string;
}

const value = (i: number) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'], at: new Date(0) });

function median(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timeSets(persistent: boolean, dir: string, count: number): number {
  const manager = new CacheManager(`bench-set-${persistent}`, { cacheDirectory: dir, autoSync: false });
  const cache = manager.registerCache<number, unknown>('values', { persistent });
  const runs: number[] = [];
  for (let run = 0; run < 5; run++) {
    const started = performance.now();
    for (let i = 0; i < count; i++) cache.set(i, value(i));
    runs.push(((performance.now() - started) * 1e6) / count);
  }
  return median(runs);
}

export async function benchManagerPersistence(
  options: PersistenceBenchOptions = {},
): Promise<PersistenceRow[]> {
  const quick = options.quick ?? process.env.BENCH_QUICK === '1';
  const saved = options.saved ?? (quick ? 10_000 : 100_000);
  const batch = options.batch ?? 1_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-bench-manager-'));
  try {
    const setCount = quick ? 5_000 : 50_000;
    const persistentSetNs = timeSets(true, dir, setCount);
    const memorySetNs = timeSets(false, dir, setCount);

    const make = () => new CacheManager('bench-merge', { cacheDirectory: dir, autoSync: false });
    const seed = make().registerCache<number, unknown>('big');
    for (let i = 0; i < saved; i++) seed.set(i, value(i));
    await seed.save();

    const loads: number[] = [];
    const saves: number[] = [];
    const contendedSaves: number[] = [];
    const rounds = quick ? 3 : 5;
    let next = saved;
    for (let round = 0; round < rounds; round++) {
      let started = performance.now();
      const cache = make().registerCache<number, unknown>('big');
      loads.push(performance.now() - started);
      for (let i = 0; i < batch; i++) cache.set(next++, value(i));
      started = performance.now();
      await cache.save(); // the file is still the one it loaded: no re-read
      saves.push(performance.now() - started);

      // Another process (here: another manager) saved in between: read it whole and merge.
      const other = make().registerCache<number, unknown>('big');
      other.set(next++, value(0));
      await other.save();
      for (let i = 0; i < batch; i++) cache.set(next++, value(i));
      started = performance.now();
      await cache.save();
      contendedSaves.push(performance.now() - started);
    }
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    const ns = (x: number) => `${Math.round(x)} ns`;
    return [
      { operation: 'set, persistent cache (value checked with node:v8)', median: ns(persistentSetNs) },
      { operation: 'set, non-persistent cache', median: ns(memorySetNs) },
      {
        operation: `save: merge ${batch} changes into ${saved.toLocaleString('en')} saved entries`,
        median: ms(median(saves)),
        perItem: ns((median(saves) * 1e6) / batch),
      },
      {
        operation: `save: the same, after another process saved meanwhile (file read whole)`,
        median: ms(median(contendedSaves)),
        perItem: ns((median(contendedSaves) * 1e6) / batch),
      },
      {
        operation: `load ${saved.toLocaleString('en')} saved entries on registration`,
        median: ms(median(loads)),
        perItem: ns((median(loads) * 1e6) / saved),
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchManagerPersistence().then((rows) => console.table(rows));
}
