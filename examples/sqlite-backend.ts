/**
 * The sql backend on SQLite: one file that every process on this machine shares.
 *
 *   npx tsx examples/sqlite-backend.ts
 *
 * The parent memoizes a slow function into a fresh SQLite file, then starts a second process
 * running this same script, which calls the function with the same argument and gets the
 * parent's result without running it. The file is removed at the end.
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cached, closeConnections } from 'memoir';

let failures = 0;
function check(ok: boolean, what: string): void {
  console.log(`${ok ? '  ok  ' : '  FAIL'} ${what}`);
  if (!ok) failures++;
}

let runs = 0;
/** Memoizes the "report" on the SQLite file at `file`, in whichever process calls this. */
function reportOn(file: string) {
  return cached(
    async (region: string) => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 200)); // a slow query, say
      return { region, total: region.length * 1_000, computedBy: process.pid };
    },
    { name: 'sales-report', backend: 'sql', sql: `sqlite://${file}`, staleAfter: '1h' },
  );
}

async function child(file: string): Promise<void> {
  const report = reportOn(file);
  const value = await report('emea');
  process.send?.({ value, runs });
  await closeConnections();
}

async function parent(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-sqlite-example-'));
  const file = path.join(dir, 'memo.db');
  try {
    const report = reportOn(file);
    const first = await report('emea');
    check(runs === 1, `computed once in this process: ${JSON.stringify(first)}`);
    const again = await report('emea');
    check(runs === 1 && again.total === first.total, 'the second call is a hit (one SELECT)');

    // Another process, same file: it reads the entry instead of computing it.
    const fromChild = await new Promise<{ value: typeof first; runs: number }>(
      (resolve, reject) => {
        const other = fork(__filename, ['child', file], { execArgv: ['--import', 'tsx'] });
        other.once('message', (message) =>
          resolve(message as { value: typeof first; runs: number }),
        );
        other.once('error', reject);
        other.once('exit', (code) => code !== 0 && reject(new Error(`child exited with ${code}`)));
      },
    );
    check(fromChild.runs === 0, 'a second process got the value without running the function');
    check(
      fromChild.value.computedBy === process.pid,
      `...computed by this process (${process.pid})`,
    );

    await report.clearCache();
    check(!(await report.isCached('emea')), 'clearCache removed this function’s entries');
  } finally {
    await closeConnections(); // closes the SQLite file memoir opened
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (failures > 0) {
    console.log(`${failures} check(s) failed`);
    process.exitCode = 1;
  }
}

if (process.argv[2] === 'child') void child(process.argv[3]);
else void parent();
