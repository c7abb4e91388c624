import { performance } from 'node:perf_hooks';
import { MongoClient } from 'mongodb';
import { createMongoCore } from '../backends/mongo';
import { startStandin } from '../test/support/mongo-standin';

/**
 * Mongo-core latency against the wire-protocol stand-in (a real driver over a real
 * 127.0.0.1 socket, an in-memory server): figures show the core's round trips and the
 * driver's overhead, not a production mongod's. Labelled "stand-in" everywhere for that reason.
 *
 *   hit  = core.get of a completed entry          (one `find`)
 *   miss = get → acquire → write, as the engine does for a key nobody has computed
 *          (`find` + `findAndModify` + `update`)
 */
export interface LatencySummary {
  operations: number;
  medianMicros: number;
  p95Micros: number;
  opsPerSecond: number;
}

export interface MongoBenchResult {
  label: string;
  hit: LatencySummary;
  miss: LatencySummary;
}

function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const total = samples.reduce((sum, sample) => sum + sample, 0);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    operations: samples.length,
    medianMicros: Math.round(at(0.5) * 1000),
    p95Micros: Math.round(at(0.95) * 1000),
    opsPerSecond: Math.round(samples.length / (total / 1000)),
  };
}

async function timeEach(count: number, body: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await body(i);
    samples.push(performance.now() - start);
  }
  return samples;
}

export async function benchMongo(options: { operations?: number } = {}): Promise<MongoBenchResult> {
  const operations = options.operations ?? 2_000;
  const standin = await startStandin();
  const client = new MongoClient(standin.uri);
  const collection = client.db('memoir_bench').collection('entries');
  const core = createMongoCore({
    name: 'bench',
    options: { mongetter: () => collection },
    report: () => {},
  });
  try {
    const value = { id: 42, name: 'a typical result', tags: ['x', 'y'], at: new Date(0) };
    await core.write('hot', value, { time: Date.now() });
    await timeEach(200, () => core.get('hot')); // warm-up: connections, JIT
    const hit = await timeEach(operations, () => core.get('hot'));
    const miss = await timeEach(operations, async (i) => {
      const key = `cold-${i}`;
      const now = Date.now();
      await core.get(key);
      await core.acquire(key, { owner: 'bench', now, leaseUntil: now + 10_000 });
      await core.write(key, value, { time: now, owner: 'bench' });
    });
    return { label: 'mongo (stand-in)', hit: summarize(hit), miss: summarize(miss) };
  } finally {
    await core.close?.();
    await client.close();
    await standin.stop();
  }
}

if (require.main === module) {
  void benchMongo().then((result) => console.log(JSON.stringify(result, null, 2)));
}
