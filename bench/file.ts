import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFileCore } from '../backends/file';
import { createMemoryCore } from '../backends/memory';
import { type CachedOptions, cached } from '../lib';
import type { Core } from '../lib/core';

/**
 * File-core benchmark at the core level: medians of hits (small and ~1 MB values, sync and
 * async, in an empty and a 10,000-entry cache), miss+write, and 10 keys x 3 rounds of
 * 1M-number arrays, for both layouts beside the memory core. Run alone with
 * `npx tsx bench/file.ts`; bench/index.ts calls `runFileBenchmark`.
 */
export interface BenchRow {
  core: string;
  case: string;
  median: number;
  unit: 'µs' | 'ms';
}

const now = () => Number(process.hrtime.bigint()) / 1e3; // µs

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median per-operation time of `op`, measured in batches so timer overhead stays out. */
function measureSync(op: (i: number) => void, batches = 15, batch = 100): number {
  for (let i = 0; i < batch; i++) op(i); // warm-up
  const samples: number[] = [];
  let i = 0;
  for (let b = 0; b < batches; b++) {
    const start = now();
    for (let n = 0; n < batch; n++) op(i++);
    samples.push((now() - start) / batch);
  }
  return median(samples);
}

async function measureAsync(op: (i: number) => Promise<unknown>, batches = 15, batch = 100) {
  for (let i = 0; i < batch; i++) await op(i);
  const samples: number[] = [];
  let i = 0;
  for (let b = 0; b < batches; b++) {
    const start = now();
    for (let n = 0; n < batch; n++) await op(i++);
    samples.push((now() - start) / batch);
  }
  return median(samples);
}

interface Subject {
  label: string;
  make(name: string): Core;
}

const SMALL = { id: 42, name: 'small value', tags: ['a', 'b'] };
const ONE_MB = new Float64Array(128 * 1024); // 1 MiB of doubles
const T = Date.now();

async function fill(core: Core, count: number): Promise<void> {
  const ops = core.sync!;
  for (let i = 0; i < count; i++) ops.write(`fill-${i}`, { i, text: `entry ${i}` }, { time: T });
}

async function benchSubject(subject: Subject, rows: BenchRow[], quick: boolean): Promise<void> {
  const add = (name: string, median: number) =>
    rows.push({ core: subject.label, case: name, median, unit: 'µs' });

  for (const entries of [0, quick ? 1_000 : 10_000]) {
    const suffix = entries ? ` (${entries.toLocaleString('en')} entries)` : '';
    const core = subject.make(`bench-hit-${entries}`);
    await fill(core, entries);
    core.sync!.write('small', SMALL, { time: T });
    add(`hit small, sync${suffix}`, measureSync(() => core.sync!.get('small')));
    add(`hit small, async${suffix}`, await measureAsync(() => core.get('small')));
    add(
      `miss+write small, sync${suffix}`,
      measureSync((i) => core.sync!.write(`new-${i}`, SMALL, { time: T }), 10, 50),
    );
    add(
      `miss+write small, async${suffix}`,
      await measureAsync((i) => core.write(`anew-${i}`, SMALL, { time: T }), 10, 50),
    );
    await core.close?.();
  }

  const big = subject.make('bench-1mb');
  big.sync!.write('big', ONE_MB, { time: T });
  add('hit ~1 MB, sync', measureSync(() => big.sync!.get('big'), 15, 5));
  add('hit ~1 MB, async', await measureAsync(() => big.get('big'), 15, 5));
  await big.close?.();
}

/** The path users take: a memoized function's hit, through the engine, sync and async. */
async function benchMemoized(subject: Subject, rows: BenchRow[], backend: Partial<CachedOptions>): Promise<void> {
  const name = `bench-memoized-${process.pid}-${subject.label.replace(/\W+/g, '-')}`;
  const syncFn = cached((id: number) => ({ ...SMALL, id }), { ...backend, name: `${name}-sync` });
  const asyncFn = cached(async (id: number) => ({ ...SMALL, id }), { ...backend, name: `${name}-async` });
  syncFn(1);
  await asyncFn(1);
  rows.push({ core: subject.label, case: 'cached() hit small, sync fn', median: measureSync(() => syncFn(1)), unit: 'µs' });
  rows.push({ core: subject.label, case: 'cached() hit small, async fn', median: await measureAsync(() => asyncFn(1)), unit: 'µs' });
  await syncFn.clearCache();
  await asyncFn.clearCache();
}

/** 10 keys x 3 rounds of writing 1M-number arrays: total wall time per round, in ms. */
async function benchArrays(subject: Subject, rows: BenchRow[]): Promise<void> {
  const core = subject.make('bench-arrays');
  const rounds: number[] = [];
  for (let round = 0; round < 3; round++) {
    const start = now();
    for (let key = 0; key < 10; key++) {
      const array = Array.from({ length: 1_000_000 }, (_, i) => i * round + key);
      await core.write(`array-${key}`, array, { time: T });
    }
    rounds.push((now() - start) / 1000);
  }
  rows.push({ core: subject.label, case: '10 x 1M-number arrays, per round', median: median(rounds), unit: 'ms' });
  await core.close?.();
}

export async function runFileBenchmark(options: { arrays?: boolean; quick?: boolean } = {}): Promise<BenchRow[]> {
  const quick = options.quick ?? process.env.BENCH_QUICK === '1';
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-bench-'));
  let n = 0;
  const subjects: Subject[] = [
    { label: 'memory', make: (name) => createMemoryCore(`${name}-${n++}-${process.pid}`) },
    { label: 'memory (copy)', make: (name) => createMemoryCore(`${name}-${n++}-${process.pid}`, { copy: true }) },
    { label: 'file (sharded)', make: (name) => createFileCore(name, { cacheDir: root }) },
    { label: 'file (separate)', make: (name) => createFileCore(name, { cacheDir: root, separateFiles: true }) },
  ];
  const rows: BenchRow[] = [];
  try {
    for (const subject of subjects) await benchSubject(subject, rows, quick);
    await benchMemoized(subjects[0], rows, { backend: 'memory' });
    await benchMemoized(subjects[2], rows, { backend: 'file', cacheDir: root });
    await benchMemoized(subjects[3], rows, { backend: 'file', cacheDir: root, separateFiles: true });
    // The copy-mode memory core adds nothing to the arrays case but time.
    if (options.arrays !== false && !quick) {
      for (const subject of subjects.filter((s) => s.label !== 'memory (copy)')) await benchArrays(subject, rows);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return rows;
}

export function formatRows(rows: BenchRow[]): string {
  const cases = [...new Set(rows.map((row) => row.case))];
  const cores = [...new Set(rows.map((row) => row.core))];
  const lines = [`| case | ${cores.join(' | ')} |`, `|---|${cores.map(() => '---:').join('|')}|`];
  for (const name of cases) {
    const cells = cores.map((core) => {
      const row = rows.find((r) => r.core === core && r.case === name);
      return row ? `${row.median.toFixed(row.unit === 'ms' ? 1 : 2)} ${row.unit}` : '';
    });
    lines.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

if (require.main === module) {
  runFileBenchmark({ arrays: process.env.MEMOIR_BENCH_ARRAYS !== '0' }).then((rows) => console.log(formatRows(rows)));
}
