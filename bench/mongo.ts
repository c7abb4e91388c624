import { MongoClient } from 'mongodb';
import { createMongoCore } from '../backends/mongo';
import { startStandin } from '../test/support/mongo-standin';
import type { BenchRow } from './file';

/**
 * Mongo-core latency against the wire-protocol stand-in: the real driver over a real
 * 127.0.0.1 socket to an in-memory server. The figures show the core's round trips and the
 * driver's overhead, not a production mongod's, hence the "stand-in" label on every row.
 *
 *   hit small                 core.get of a completed entry        (one `find`)
 *   miss+write small          core.write of a new key              (one upserting `update`)
 *   miss, engine path         get → acquire → write, what `cached` does for a key nobody
 *                             computed yet (`find` + `findAndModify` + `update`)
 *
 * Run alone with `npx tsx bench/mongo.ts` (BENCH_QUICK=1 for a short pass); the harness
 * calls `runMongoBenchmark`. Case names match bench/file.ts so rows line up side by side.
 */
export const MONGO_LABEL = 'mongo (stand-in)';

const SMALL = { id: 42, name: 'small value', tags: ['a', 'b'] };
const now = () => Number(process.hrtime.bigint()) / 1e3; // µs

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median per-operation µs over batches, after one warm-up batch. */
async function measureAsync(op: (i: number) => Promise<unknown>, batches: number, batch: number) {
  let i = 0;
  for (let n = 0; n < batch; n++) await op(i++);
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const start = now();
    for (let n = 0; n < batch; n++) await op(i++);
    samples.push((now() - start) / batch);
  }
  return median(samples);
}

export async function runMongoBenchmark(options: { quick?: boolean } = {}): Promise<BenchRow[]> {
  const quick = options.quick ?? process.env.BENCH_QUICK === '1';
  const [batches, batch] = quick ? [5, 20] : [20, 100];
  const standin = await startStandin();
  const client = new MongoClient(standin.uri);
  const collection = client.db('memoir_bench').collection('entries');
  const core = createMongoCore({
    name: 'bench',
    options: { mongetter: () => collection },
    report: () => {},
  });
  const rows: BenchRow[] = [];
  const add = (name: string, value: number) =>
    rows.push({ core: MONGO_LABEL, case: name, median: value, unit: 'µs' });
  try {
    const time = Date.now();
    await core.write('small', SMALL, { time });
    add('hit small, async', await measureAsync(() => core.get('small'), batches, batch));
    add(
      'miss+write small, async',
      await measureAsync((i) => core.write(`new-${i}`, SMALL, { time }), batches, batch),
    );
    add(
      'miss, engine path (get + acquire + write), async',
      await measureAsync(
        async (i) => {
          const key = `cold-${i}`;
          await core.get(key);
          await core.acquire(key, { owner: 'bench', now: time, leaseUntil: time + 10_000 });
          await core.write(key, SMALL, { time, owner: 'bench' });
        },
        batches,
        batch,
      ),
    );
  } finally {
    await core.close?.();
    await client.close();
    await standin.stop();
  }
  return rows;
}

if (require.main === module) {
  void runMongoBenchmark().then((rows) => {
    for (const row of rows)
      console.log(`${row.core} | ${row.case} | ${row.median.toFixed(1)} ${row.unit}`);
  });
}
