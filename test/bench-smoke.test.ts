import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Keeps `npm run bench` from rotting: the harness runs in quick mode as a child process
 * (the peers p-memoize and bentocache are ESM-only, which ts-jest's CommonJS cannot load)
 * and its JSON report is checked. Figures are not asserted: timings belong to the
 * benchmark, not to tests. The sections that need servers (redis, sql, mongo,
 * caches) are left out; they have their own tests, and CI runs the whole quick bench.
 */
const root = path.resolve(__dirname, '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

interface Report {
  quick: boolean;
  hits: { case: string; library: string; timing?: { medianNs: number }; note?: string }[];
  stampedes: {
    library: string;
    resolve: { bodyRuns: number; fulfilled: number; callers: number };
    reject: { bodyRuns: number; rejected: number; callers: number };
  }[];
  sections: { title: string; error?: string }[];
  verdicts: { target: string; measured: string }[];
}

function runHarness(jsonPath: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = [
    'bench/index.ts',
    '--quick',
    '--only=hits,stampede,keys,file,manager',
    `--json=${jsonPath}`,
  ];
  return new Promise((resolve) => {
    execFile(tsx, args, { cwd: root, timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('benchmark harness (quick mode)', () => {
  let report: Report;
  let stdout = '';

  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-bench-smoke-'));
    const jsonPath = path.join(dir, 'report.json');
    try {
      const run = await runHarness(jsonPath);
      stdout = run.stdout;
      if (run.code !== 0)
        throw new Error(`harness exited ${run.code}\n${run.stdout}\n${run.stderr}`);
      report = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as Report;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 95_000);

  it('completes every section it was asked for, without an error', () => {
    expect(report.quick).toBe(true);
    expect(report.sections.length).toBeGreaterThan(0);
    expect(report.sections.filter((section) => section.error)).toEqual([]);
    expect(stdout.length).toBeGreaterThan(0);
  });

  it('judges each file layout against targets, each verdict with a measured figure', () => {
    for (const layout of ['file (sharded)', 'file (separate)']) {
      const verdicts = report.verdicts.filter((verdict) => verdict.target.startsWith(layout));
      expect(verdicts.length).toBeGreaterThan(0);
      for (const verdict of verdicts) expect(verdict.measured).toMatch(/\d/);
    }
  });

  it('runs the 1,000-caller body once for memoir, resolving and rejecting', () => {
    const memoir = report.stampedes.find((row) => row.library === 'memoir');
    expect(memoir).toBeDefined();
    expect(memoir!.resolve.callers).toBe(1000);
    expect(memoir!.resolve.bodyRuns).toBe(1);
    expect(memoir!.resolve.fulfilled).toBe(1000);
    expect(memoir!.reject.bodyRuns).toBe(1);
    expect(memoir!.reject.rejected).toBe(1000);
  });

  it('measures memoir in every hit case (its hits really are hits)', () => {
    const memoirRows = report.hits.filter((row) => row.library === 'memoir');
    expect(memoirRows.map((row) => row.case).sort()).toEqual([
      'async-distinct',
      'async-object',
      'async-primitives',
      'sync-distinct',
      'sync-object',
      'sync-primitives',
    ]);
    for (const row of memoirRows) expect(row.timing?.medianNs).toBeGreaterThan(0);
  });

  it('loads every peer', () => {
    const libraries = new Set(report.stampedes.map((row) => row.library));
    expect([...libraries].sort()).toEqual(
      [
        '@type-cacheable/core',
        'async-cache-dedupe',
        'bentocache',
        'cache-manager',
        'lru-cache',
        'memoir',
        'memoizee',
        'moize',
        'p-memoize',
      ].sort(),
    );
  });
});
