import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/**
 * The registries do not leak (issue 13, item 7): `cached()` called per request with anonymous
 * memory functions used to keep every function, its dependency edges and its memory store
 * forever (the default manager and the memory backend held them). Measured in a child
 * process run with --expose-gc, after full collections, so the figures are deterministic.
 */
const child = path.join(__dirname, '../support/registry-gc-child.ts');
const repoRoot = path.join(__dirname, '../..');

it('100,000 per-request anonymous memory functions leave the heap flat and the registries empty', () => {
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', child, '100000'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(result.stderr).toBe('');
  const report = JSON.parse(result.stdout);

  // Each function held ~6 KB when it leaked (600+ MB over the run); flat means no trend
  // beyond collector noise between the first sample (10,000 calls) and the last.
  const [first, ...rest] = report.heapMB as number[];
  expect(Math.max(...rest) - first).toBeLessThan(8);
  expect(report.registries).toEqual({ managerNames: 0, memoryStores: 0, pinnedStores: 0 });

  // What is still referenced stays: registered, cached across the collection, invalidated.
  expect(report.keptAfterGc).toEqual({ runs: 1, registered: true });
  expect(report.keptAfterInvalidate).toBe(2);
  // A user-chosen name is a namespace: its entries are kept for the next function of that name.
  expect(report.namedHit).toBe('first 1');
  expect(report.namedRegistered).toBe(true);
}, 90_000);
