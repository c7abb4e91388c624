import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheManager } from '../lib';

/**
 * One state per process (issue 13, item 6): a program that loads both builds of the package
 * (`import('memoir')` → dist/index.mjs and `require('memoir')` → dist/index.js, the
 * dual-package hazard) still has one set of global parameters, one caching switch, one
 * default manager, one memory store per cache name and one set of exit/signal handlers.
 * And importing memoir defines no globals (no Reflect.getMetadata from reflect-metadata).
 *
 * Runs the built package (npm test builds it first; run `npm run build` before running this
 * file alone) in a child process, resolved by package self-reference as in
 * package-exports.test.ts.
 */
const root = join(__dirname, '..');
const cacheDir = mkdtempSync(join(tmpdir(), 'memoir-state-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

function runModule(program: string) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', program], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, MEMOIR_CACHE_DIR: cacheDir },
    timeout: 20_000,
  });
}

/** Loads both copies after noting the globals, so the program can compare. */
const loadBoth = `
  const globalNames = new Set(Object.getOwnPropertyNames(globalThis));
  const globalSymbols = new Set(Object.getOwnPropertySymbols(globalThis));
  const esm = await import('memoir');
  const { createRequire } = await import('node:module');
  const cjs = createRequire(process.cwd() + '/')('memoir');
`;

it('the ESM and CommonJS copies in one process share parameters, switch, managers and memory stores', () => {
  const result = runModule(`${loadBoth}
    const out = {};
    out.twoCopies = esm.cached !== cjs.cached && esm.CacheManager !== cjs.CacheManager;
    out.newGlobalNames = Object.getOwnPropertyNames(globalThis).filter((n) => !globalNames.has(n));
    out.newGlobalSymbols = Object.getOwnPropertySymbols(globalThis)
      .filter((s) => !globalSymbols.has(s)).map(String);
    out.reflect = [typeof Reflect.getMetadata, typeof Reflect.defineMetadata, typeof Reflect.metadata];

    esm.setGlobalParams({ lease: '42s' });
    out.leaseSeenByCjs = cjs.getGlobalParams().lease;

    let runs = 0;
    const counted = esm.cached(function counted(x) { runs++; return x; }, { backend: 'memory' });
    cjs.disableCaching();
    counted(1); counted(1);
    out.runsWhileDisabledByTheOtherCopy = runs;
    cjs.enableCaching();
    counted(1); counted(1);
    out.runsAfterEnabled = runs;

    out.sameDefaultManager = esm.getCacheManager() === cjs.getCacheManager();
    out.sameNamedManager = esm.getCacheManager('reports') === cjs.getCacheManager('reports');

    const fromCjs = cjs.cached((x) => 'computed by cjs', { name: 'shared-memory', backend: 'memory' });
    const fromEsm = esm.cached((x) => 'computed by esm', { name: 'shared-memory', backend: 'memory' });
    fromCjs(1);
    out.memoryShared = fromEsm(1);

    let dependentRuns = 0;
    const dependent = esm.cached(function dependent(x) { dependentRuns++; return x; },
      { backend: 'memory', dependsOn: ['raw'] });
    dependent(1); dependent(1);
    await cjs.getCacheManager().invalidate('raw').catch((error) => { out.invalidateFailed = error.code; });
    dependent(1);
    out.dependentRuns = dependentRuns;

    const anonymousCjs = cjs.cached(() => 'cjs', { backend: 'memory' });
    const anonymousEsm = esm.cached(() => 'esm', { backend: 'memory' });
    out.anonymous = [anonymousCjs(), anonymousEsm()];
    console.log(JSON.stringify(out));
  `);
  expect(result.stderr).toBe('');
  expect(JSON.parse(result.stdout)).toEqual({
    twoCopies: true,
    newGlobalNames: [],
    newGlobalSymbols: ['Symbol(memoir.state.v1)'],
    reflect: ['undefined', 'undefined', 'undefined'],
    leaseSeenByCjs: '42s',
    runsWhileDisabledByTheOtherCopy: 2,
    runsAfterEnabled: 3,
    sameDefaultManager: true,
    sameNamedManager: true,
    memoryShared: 'computed by cjs',
    dependentRuns: 2,
    anonymous: ['cjs', 'esm'],
  });
});

it('with both copies holding unsaved changes, SIGTERM flushes both and still ends the process', () => {
  const result = runModule(`${loadBoth}
    const a = esm.getCacheManager('from-esm');
    const b = cjs.getCacheManager('from-cjs');
    a.autoSync = false;
    b.autoSync = false;
    a.registerCache('values').set('esm', 1);
    b.registerCache('values').set('cjs', 2);
    console.log(process.listenerCount('SIGTERM'));
    process.kill(process.pid, 'SIGTERM');
    setInterval(() => {}, 1000); // only the signal can end it
  `);
  // One listener for both copies (two would each wait for the other and never re-raise).
  expect({ stdout: result.stdout.trim(), signal: result.signal, stderr: result.stderr }).toEqual({
    stdout: '1',
    signal: 'SIGTERM',
    stderr: '',
  });
  const read = (manager: string) =>
    Object.fromEntries(new CacheManager(manager, { cacheDirectory: cacheDir }).registerCache('values'));
  expect(read('from-esm')).toEqual({ esm: 1 });
  expect(read('from-cjs')).toEqual({ cjs: 2 });
});
