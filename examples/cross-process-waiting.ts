/**
 * Two processes ask for the same result at the same moment; it is computed once. The process
 * that loses the race waits for the other's calculation instead of repeating it.
 *
 *   npx tsx examples/cross-process-waiting.ts
 *
 * The example forks itself twice (child_process.fork, which reuses tsx's loader flags). Both
 * children memoize the same function on the file backend in one scratch directory, report
 * "ready", and call it as soon as the parent says "go". Each run of the function appends a
 * line to a log file, so the parent can count computations across processes.
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cached } from 'memoir';

const CHILD_FLAG = '--as-child';

interface ChildResult {
  pid: number;
  value: string;
  ms: number;
  recalculations: number;
  waits: number;
}

function child(cacheDir: string, runLog: string): void {
  async function monthlyReport(month: string): Promise<string> {
    fs.appendFileSync(runLog, `${process.pid}\n`);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // stands for real work
    return `report for ${month}, built by process ${process.pid}`;
  }
  const report = cached(monthlyReport, { backend: 'file', cacheDir });

  process.on('message', async (message) => {
    if (message !== 'go') return;
    const started = Date.now();
    const value = await report('2024-01');
    const { recalculations, waits } = report.stats();
    const result: ChildResult = { pid: process.pid, value, ms: Date.now() - started, recalculations, waits };
    // Disconnecting closes the IPC channel, which is all that keeps this process alive.
    process.send!(result, () => process.disconnect());
  });
  process.send!('ready');
}

/** Forks a child and resolves once it is ready to call; `result` settles with its answer. */
function startChild(cacheDir: string, runLog: string) {
  const worker = fork(__filename, [CHILD_FLAG, cacheDir, runLog], { stdio: 'inherit' });
  let onResult!: (result: ChildResult) => void;
  let onFailure!: (error: Error) => void;
  const result = new Promise<ChildResult>((resolve, reject) => {
    onResult = resolve;
    onFailure = reject;
  });
  const ready = new Promise<void>((resolve) => {
    worker.on('message', (message) => {
      if (message === 'ready') resolve();
      else onResult(message as ChildResult);
    });
  });
  worker.on('exit', (code) => onFailure(new Error(`child ${worker.pid} exited with ${code} before answering`)));
  return { worker, ready, result };
}

async function parent(): Promise<void> {
  // CI points MEMOIR_CACHE_DIR at a scratch directory; elsewhere the system temp dir.
  const base = process.env.MEMOIR_CACHE_DIR ?? os.tmpdir();
  fs.mkdirSync(base, { recursive: true });
  const cacheDir = fs.mkdtempSync(path.join(base, 'memoir-example-cross-process-'));
  const runLog = path.join(cacheDir, 'runs.log');
  fs.writeFileSync(runLog, '');
  let failures = 0;
  const check = (ok: boolean, what: string) => {
    console.log(`${ok ? '  ok  ' : '  FAIL'} ${what}`);
    if (!ok) failures++;
  };

  try {
    const children = [startChild(cacheDir, runLog), startChild(cacheDir, runLog)];
    await Promise.all(children.map((c) => c.ready));
    console.log('both processes ready; calling monthlyReport("2024-01") in both at once');
    for (const c of children) c.worker.send('go');
    const results = await Promise.all(children.map((c) => c.result));

    for (const r of results) {
      const role = r.recalculations > 0 ? 'computed it' : `waited (${r.waits} wait)`;
      console.log(`process ${r.pid}: ${role}, answered in ${r.ms} ms -> "${r.value}"`);
    }
    const runs = fs.readFileSync(runLog, 'utf8').trim().split('\n').filter(Boolean);
    console.log(`the function ran ${runs.length} time(s), in process ${runs.join(', ')}`);

    check(runs.length === 1, 'one computation for two processes');
    check(results[0]!.value === results[1]!.value, 'both processes got the same value');
    check(
      results.some((r) => r.recalculations === 1) && results.some((r) => r.recalculations === 0 && r.waits === 1),
      'one process computed, the other waited for it',
    );
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
  if (failures > 0) throw new Error(`${failures} check(s) failed`);
  console.log('All checks passed.');
}

const flag = process.argv.indexOf(CHILD_FLAG);
if (flag >= 0) {
  child(process.argv[flag + 1]!, process.argv[flag + 2]!);
} else {
  parent().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
