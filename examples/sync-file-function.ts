/**
 * A sync function on the file backend stays sync, and its results survive a restart.
 *
 *   npx tsx examples/sync-file-function.ts
 *
 * The example runs itself twice as a child process ("a restart") against one scratch cache
 * directory. The first child computes and writes the entry; the second reads it from disk.
 * Both get a plain number back (no Promise): the file core has synchronous operations, so a
 * sync function needs no `await`, on a hit or a miss.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cached } from 'memoir';

const CHILD_FLAG = '--as-child';

interface ChildReport {
  result: unknown;
  returnedPromise: boolean;
  computed: boolean;
  ms: number;
  cachePath: string | undefined;
}

/** One "process lifetime": memoize, call once, report what happened on stdout. */
function child(cacheDir: string): void {
  let computed = false;
  function collatzSteps(n: number): number {
    computed = true;
    const until = Date.now() + 400; // stands for real work
    while (Date.now() < until);
    let steps = 0;
    for (let x = n; x !== 1; x = x % 2 === 0 ? x / 2 : 3 * x + 1) steps++;
    return steps;
  }
  const steps = cached(collatzSteps, { backend: 'file', cacheDir });

  const started = Date.now();
  const result = steps(837_799);
  const report: ChildReport = {
    result,
    returnedPromise: (result as unknown) instanceof Promise,
    computed,
    ms: Date.now() - started,
    cachePath: steps.cachePath(),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

function runChild(cacheDir: string): ChildReport {
  // process.execArgv carries tsx's loader flags, so the child runs TypeScript the same way.
  const run = spawnSync(process.execPath, [...process.execArgv, __filename, CHILD_FLAG, cacheDir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`child exited with ${run.status ?? run.signal}`);
  const line = run.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ChildReport;
}

function parent(): void {
  // CI points MEMOIR_CACHE_DIR at a scratch directory; elsewhere the system temp dir.
  // A fresh directory per run, so the first child always starts from an empty cache.
  const base = process.env.MEMOIR_CACHE_DIR ?? os.tmpdir();
  fs.mkdirSync(base, { recursive: true });
  const cacheDir = fs.mkdtempSync(path.join(base, 'memoir-example-sync-file-'));
  let failures = 0;
  const check = (ok: boolean, what: string) => {
    console.log(`${ok ? '  ok  ' : '  FAIL'} ${what}`);
    if (!ok) failures++;
  };
  try {
    const first = runChild(cacheDir);
    console.log(`process 1: steps(837799) = ${first.result} in ${first.ms} ms (${first.computed ? 'computed' : 'from disk'})`);
    const second = runChild(cacheDir);
    console.log(`process 2: steps(837799) = ${second.result} in ${second.ms} ms (${second.computed ? 'computed' : 'from disk'})`);
    console.log(`entries live in ${first.cachePath}`);

    check(first.computed && !second.computed, 'the second process read the first one’s result from disk');
    check(first.result === 524 && second.result === 524, 'both got the right value');
    check(!first.returnedPromise && !second.returnedPromise, 'both calls returned a plain number, not a Promise');
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
  if (failures > 0) {
    console.error(`${failures} check(s) failed`);
    process.exitCode = 1;
  } else {
    console.log('All checks passed.');
  }
}

const flag = process.argv.indexOf(CHILD_FLAG);
if (flag >= 0) child(process.argv[flag + 1]!);
else parent();
