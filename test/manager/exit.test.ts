import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { makeTempDir } from '../support/manager-temp';

/**
 * Nothing is lost across a normal exit: each child reads what the previous one left, changes
 * the cache and exits without saving explicitly (alternately by draining the event loop and
 * by process.exit). The pending auto-sync timer (900 s for one change) must not keep it alive.
 * MEMOIR_EXIT_RUNS sets the number of runs (the target is 20; CI runs a few).
 */
const RUNS = Number(process.env.MEMOIR_EXIT_RUNS ?? 3);
const child = path.join(__dirname, '../support/manager-child.ts');
const repoRoot = path.join(__dirname, '../..');

const temp = makeTempDir();
afterAll(() => temp.cleanup());

function runChild(run: number, exitMode: string): Record<string, number> {
  const started = Date.now();
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', child, temp.dir, String(run), exitMode],
    { cwd: repoRoot, encoding: 'utf8', timeout: 20_000 },
  );
  expect({ signal: result.signal, status: result.status, stderr: result.stderr }).toEqual({
    signal: null,
    status: 0,
    stderr: '',
  });
  // Far below the 900 s auto-sync timer: the unref'd timer did not hold the process.
  expect(Date.now() - started).toBeLessThan(15_000);
  return JSON.parse(result.stdout);
}

it(`keeps every change across ${RUNS} normal exits`, () => {
  const expected: Record<string, number> = {};
  for (let run = 0; run < RUNS; run++) {
    const exitMode = run % 2 === 0 ? 'natural' : 'process-exit';
    expect(runChild(run, exitMode)).toEqual(expected);
    // mirror what the child does
    expected.run = run;
    for (let i = 0; i < 25; i++) expected[`run${run}-item${i}`] = run * 100 + i;
    delete expected[`run${run - 1}-item0`];
  }
  expect(runChild(RUNS, 'natural')).toEqual(expected);
});
