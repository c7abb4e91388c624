/**
 * Cost of the default key function, alone and followed by the `Map.get` a memory-core hit
 * does with the key, next to raw object-hash on the same arguments. Targets (issue 2): two
 * primitive arguments ≤ 80 ns; one small nested object ≤ ~1 µs including the `Map.get`.
 *
 * Called by the benchmark harness; also runnable alone: npx tsx bench/keys.ts
 */
import objectHash from 'object-hash';
import { defaultKey } from '../lib/keys/default-key';

export interface KeysBenchOptions {
  /** Timed batches per case; the median batch is reported. Default 25. */
  batches?: number;
  /** Target duration of one batch in milliseconds; default 20. */
  batchMs?: number;
}

export interface KeysBenchRow {
  name: string;
  /** Median wall-clock ns per call over the batches. */
  medianNs: number;
  /**
   * Median CPU ns per call (user + system): steadier than wall-clock on a shared machine,
   * where other processes take the CPU away in the middle of a batch.
   */
  cpuMedianNs: number;
  /** Length of the key the case produces (0 for raw object-hash rows). */
  keyLength: number;
}

interface Case {
  name: string;
  args: unknown[];
}

const CASES: Case[] = [
  { name: 'two primitives (7, "user")', args: [7, 'user'] },
  { name: 'small nested object', args: [{ id: 7, filter: { tags: ['a', 'b'], active: true } }] },
  { name: 'Date and string', args: [new Date(0), 'report'] },
  {
    name: 'Map of two entries',
    args: [
      new Map<string, number>([
        ['a', 1],
        ['b', 2],
      ]),
    ],
  },
  { name: 'array of 100 numbers (long key)', args: [Array.from({ length: 100 }, (_, i) => i)] },
];

/** Keeps results observable so the JIT cannot drop the measured calls. */
let sink = 0;

interface Medians {
  medianNs: number;
  cpuMedianNs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function measure(run: () => number, batches: number, batchMs: number): Medians {
  // Calibrate the batch size on a warm function, so one batch lasts about batchMs.
  let iterations = 1000;
  for (;;) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink += run();
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (elapsedMs >= batchMs / 2 || iterations > 1e8) {
      iterations = Math.max(1, Math.round((iterations * batchMs) / Math.max(elapsedMs, 1e-3)));
      break;
    }
    iterations *= 4;
  }
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let batch = 0; batch < batches; batch++) {
    const cpuStarted = process.cpuUsage();
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink += run();
    wall.push(Number(process.hrtime.bigint() - started) / iterations);
    const used = process.cpuUsage(cpuStarted);
    cpu.push(((used.user + used.system) * 1000) / iterations);
  }
  return { medianNs: median(wall), cpuMedianNs: median(cpu) };
}

export async function benchKeys(options: KeysBenchOptions = {}): Promise<KeysBenchRow[]> {
  const { batches = 25, batchMs = 20 } = options;
  const rows: KeysBenchRow[] = [];
  for (const { name, args } of CASES) {
    const key = defaultKey(args);
    const map = new Map<string, number>([[key, 1]]);
    rows.push({
      name: `defaultKey: ${name}`,
      ...measure(() => defaultKey(args).length, batches, batchMs),
      keyLength: key.length,
    });
    rows.push({
      name: `defaultKey + Map.get: ${name}`,
      ...measure(() => map.get(defaultKey(args)) ?? 0, batches, batchMs),
      keyLength: key.length,
    });
    rows.push({
      name: `object-hash (sha1): ${name}`,
      ...measure(() => objectHash(args).length, batches, batchMs),
      keyLength: 0,
    });
    // Yield between cases so a harness sharing the event loop stays responsive.
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (sink === -1) console.log(sink);
  return rows;
}

if (require.main === module) {
  benchKeys().then((rows) => {
    for (const row of rows) {
      const length = row.keyLength ? `  (key ${row.keyLength} chars)` : '';
      const wall = row.medianNs.toFixed(0).padStart(7);
      const cpu = row.cpuMedianNs.toFixed(0).padStart(7);
      console.log(`${wall} ns wall ${cpu} ns cpu  ${row.name}${length}`);
    }
  });
}
