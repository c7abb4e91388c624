import * as fs from 'node:fs';
import { createFileCore } from '../../../backends/file';
import { shardedLayout } from '../../../backends/file/layout';
import { tempDirs } from '../../support/file-temp-dirs';
import { startWorkers, type Worker } from '../../support/file-mp-pool';
import type { ChurnResult, ComputeResult, ReadLoopResult, Target } from '../../support/file-mp-worker';

/**
 * Cross-process guarantees of the file core, with real child processes (a pool of 8 started
 * once, plus fresh ones where a restart is the point). MEMOIR_MP_RUNS repeats every scenario
 * (default 1; run with 20 to measure lost entries and duplicate computations).
 */
const RUNS = Number(process.env.MEMOIR_MP_RUNS ?? 1);
const PROCESSES = 8;
const dirs = tempDirs('memoir-mp-');
const tally = { runs: 0, lostEntries: 0, leftMarked: 0, duplicateComputations: 0 };
let workers: Worker[] = [];
let run = 0;

jest.setTimeout(60_000 + RUNS * 15_000);

beforeAll(async () => {
  workers = await startWorkers(PROCESSES);
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  dirs.removeAll();
  if (RUNS > 1) console.log(`file multi-process tally over ${RUNS} runs:`, JSON.stringify(tally));
});

describe.each([
  { layout: 'sharded', separateFiles: false },
  { layout: 'separate files', separateFiles: true },
])('file core across processes ($layout)', ({ separateFiles }) => {
  const target = (): Target => ({ cacheDir: dirs.make(), separateFiles, name: `mp-${run++}` });

  it('8 processes asking for the same key at once: computed once, the same value everywhere', async () => {
    for (let i = 0; i < RUNS; i++) {
      const where = target();
      const results = await Promise.all(
        workers.map((worker, n) =>
          worker.request<ComputeResult>({
            op: 'compute',
            target: where,
            key: 'slow',
            delayMs: 300,
            leaseMs: 5_000,
            sync: n % 2 === 1, // half take the sync path, as a sync function would
          }),
        ),
      );
      const computed = results.filter((result) => result.computed).length;
      tally.duplicateComputations += computed - 1;
      expect(computed).toBe(1);
      expect(new Set(results.map((result) => JSON.stringify(result.value))).size).toBe(1);
    }
  });

  it('8 processes x 50 distinct keys: all 400 entries present, none left marked', async () => {
    for (let i = 0; i < RUNS; i++) {
      const where = target();
      const computed = await Promise.all(
        workers.map((worker, n) =>
          worker.request<number>({ op: 'fill', target: where, prefix: `p${n}`, count: 50, sync: n % 2 === 1 }),
        ),
      );
      expect(computed).toEqual(Array(PROCESSES).fill(50));
      const core = createFileCore(where.name, { cacheDir: where.cacheDir, separateFiles });
      const keys = await core.keys();
      let complete = 0;
      let marked = 0;
      for (const key of keys) {
        const entry = await core.get(key);
        if (entry?.completed) complete++;
        if (entry?.processing) marked++;
      }
      tally.lostEntries += PROCESSES * 50 - complete;
      tally.leftMarked += marked;
      expect(keys).toHaveLength(400);
      expect(complete).toBe(400);
      expect(marked).toBe(0);
      tally.runs++;
    }
    for (const worker of workers) expect(worker.faults).toEqual([]);
  });

  it('a calculator killed with SIGKILL: a waiting process takes over within the lease', async () => {
    const leaseMs = 1_500;
    for (let i = 0; i < RUNS; i++) {
      const where = target();
      const [victim] = await startWorkers(1);
      expect(await victim.request({ op: 'hang', target: where, key: 'k', leaseMs })).toBe('acquired');
      const waiting = workers[0].request<ComputeResult>({
        op: 'compute',
        target: where,
        key: 'k',
        delayMs: 10,
        leaseMs,
        sync: false,
      });
      await new Promise((resolve) => setTimeout(resolve, 300)); // the waiter is waiting now
      const killedAt = Date.now();
      await victim.stop('SIGKILL');
      const result = await waiting;
      const recovery = Date.now() - killedAt;
      expect(result.computed).toBe(true);
      // Renewed up to the kill, so the mark dies at most one lease later; plus polling slack.
      expect(recovery).toBeLessThan(leaseMs + 1_000);
    }
  });

  it('a reader in another process never sees a torn value while a writer rewrites it', async () => {
    const where = target();
    const writer = createFileCore(where.name, { cacheDir: where.cacheDir, separateFiles });
    writer.sync!.write('big', new Uint8Array(1024 * 1024).fill(0), { time: 1 });
    const reading = workers[1].request<ReadLoopResult>({ op: 'readLoop', target: where, key: 'big', durationMs: 1_500 });
    const end = Date.now() + 1_400;
    for (let round = 1; Date.now() < end; round++) {
      await writer.write('big', new Uint8Array(1024 * 1024).fill(round % 256), { time: round });
    }
    const seen = await reading;
    expect(seen.torn).toBe(0);
    expect(seen.reads).toBeGreaterThan(2); // sampled repeatedly, however loaded the machine
    expect(seen.distinct).toBeGreaterThan(1); // the reader did see rewrites happen
    expect(workers[1].faults).toEqual([]);
  });

  it('a value written by one process is a hit in a process started afterwards', async () => {
    const where = target();
    const [writer] = await startWorkers(1);
    const first = await writer.request<ComputeResult>({
      op: 'compute', target: where, key: 'kept', delayMs: 0, leaseMs: 5_000, sync: true,
    });
    await writer.stop();
    const [reader] = await startWorkers(1);
    const second = await reader.request<ComputeResult>({
      op: 'compute', target: where, key: 'kept', delayMs: 0, leaseMs: 5_000, sync: false,
    });
    await reader.stop();
    expect(first.computed).toBe(true);
    expect(second).toEqual({ value: first.value, computed: false });
  });
});

describe.each([
  { layout: 'sharded', separateFiles: false },
  { layout: 'separate files', separateFiles: true },
])('file core across processes: a writer killed mid-write ($layout)', ({ separateFiles }) => {
  it.each([true, false])('sync=%s: the value reads whole (old or new), and the file takes writes again', async (sync) => {
    const where: Target = { cacheDir: dirs.make(), separateFiles, name: `mp-kill-${run++}` };
    const [victim] = await startWorkers(1);
    const size = 4 * 1024 * 1024; // large enough that a kill often lands inside a write
    expect(await victim.request({ op: 'writeLoop', target: where, key: 'big', bytes: size, sync })).toBe('writing');
    await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 200));
    await victim.stop('SIGKILL');

    const events: string[] = [];
    const core = createFileCore(where.name, { ...where, report: (event) => events.push(event.type) });
    const seen = core.sync!.get('big')?.value as Uint8Array | undefined;
    expect(seen?.length).toBe(size);
    expect(seen!.every((byte) => byte === seen![0])).toBe(true);
    // Its mark may still be there (it died holding it); a write goes through regardless, also
    // when the victim died holding the lock (broken once stale) or after sealing the file.
    const started = Date.now();
    expect(await core.write('big', 'after', { time: 1 })).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(createFileCore(where.name, where).sync!.get('big')?.value).toBe('after');
    // A torn frame, if the kill made one, is reported once at most; nothing else is wrong.
    expect(events.filter((type) => type !== 'corrupt-entry')).toEqual([]);
    expect(events.length).toBeLessThanOrEqual(1);
  });
});

describe('file core across processes: compaction under load', () => {
  it('8 processes rewriting keys of one shard: every write lands, none is lost to a compaction', async () => {
    const where: Target = { cacheDir: dirs.make(), separateFiles: false, name: `mp-churn-${run++}` };
    // Keys that all live in one shard file, so every process appends to the same log.
    const layout = shardedLayout(`${where.cacheDir}/${where.name}`);
    const shard = layout.fileFor('anchor');
    const keys: string[] = [];
    for (let i = 0; keys.length < PROCESSES; i++) if (layout.fileFor(`k${i}`) === shard) keys.push(`k${i}`);
    const rounds = 150;
    const results = await Promise.all(
      workers.map((worker, n) =>
        worker.request<ChurnResult>({ op: 'churn', target: where, key: keys[n], rounds, bytes: 1_000, sync: n % 2 === 0 }),
      ),
    );
    expect(results).toEqual(Array(PROCESSES).fill({ stale: 0, refused: 0 }));
    const core = createFileCore(where.name, { cacheDir: where.cacheDir });
    for (const key of keys) expect((await core.get(key))?.value).toMatchObject({ round: rounds });
    expect(await core.keys()).toHaveLength(PROCESSES);
    // 8 x 150 writes of ~1 KB went through a file that now holds 8 values: it was compacted.
    expect(fs.statSync(shard).size).toBeLessThan(64 * 1024 + PROCESSES * 2_000);
    for (const worker of workers) expect(worker.faults).toEqual([]);
  });
});
