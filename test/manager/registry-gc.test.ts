import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/**
 * The registries do not leak (issue 13, item 7): `cached()` called per request with anonymous
 * memory functions must not keep every function, its dependency edges, its memory store or
 * its name forever (the default manager, the memory backend, the list of open cores and the
 * default-name registry all held them). Measured in a child process run with --expose-gc,
 * after full collections, so the figures are deterministic (test/support/registry-gc-child.ts).
 */
const child = path.join(__dirname, '../support/registry-gc-child.ts');
const repoRoot = path.join(__dirname, '../..');

it('100,000 per-request anonymous memory functions leave the heap flat and the registries empty', () => {
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', child, '10000,100000'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 80_000,
  });
  expect(result.stderr).toBe('');
  const report = JSON.parse(result.stdout);
  const growth = (samples: number[]) => Math.max(...samples.slice(1)) - samples[0];
  const empty = { managerNames: 0, memoryStores: 0, pinnedStores: 0 };

  // Functions defined in a module share their definition's name: flat, and nothing is left.
  expect(growth(report.sameSiteHeapMB)).toBeLessThan(2);
  expect(report.afterSameSite).toEqual(empty);

  // Functions without a definition site each get a name of their own: 100,000 names. A leak
  // of even 25 bytes per function would show as 2 MB between the first and last samples.
  expect(report.sitelessNames).toEqual(['anonymous#0', 'anonymous#1']);
  expect(growth(report.sitelessHeapMB)).toBeLessThan(2);
  expect(report.afterSiteless).toEqual(empty);

  // What is still referenced stays: registered, cached across the collection, invalidated.
  expect(report.keptAfterGc).toEqual({ runs: 1, registered: true });
  expect(report.keptAfterInvalidate).toBe(2);
  // A user-chosen name is a namespace: its entries are kept for the next function of that name.
  expect(report.namedHit).toBe('first 1');
  expect(report.namedRegistered).toBe(true);
}, 100_000);
