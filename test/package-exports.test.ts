import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The built package (npm test builds it first) must load both ways through its exports map:
 * `require('memoir')` and `import('memoir')`, resolved by package self-reference, and in each
 * the lazily loaded backends must work (the ESM build has no global `require`).
 */
const root = join(__dirname, '..');

function run(args: string[]): string {
  const cacheDir = mkdtempSync(join(tmpdir(), 'memoir-exports-'));
  return execFileSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, MEMOIR_CACHE_DIR: cacheDir },
  }).trim();
}

const program = (load: string) => `
  ${load}
  const names = ['cached', 'getCacheManager', 'CacheManager', 'setGlobalParams', 'getGlobalParams',
    'enableCaching', 'disableCaching', 'MemoirError'];
  const missing = names.filter((n) => !(n in m));
  const twice = m.cached((x) => x * 2, { name: 'twice' });
  const inMemory = m.cached((x) => x + 1, { name: 'inc', backend: 'memory' });
  console.log(JSON.stringify({ missing, file: twice(21), memory: inMemory(1), path: typeof twice.cachePath() }));
`;

describe('package exports', () => {
  it('works with require("memoir")', () => {
    const out = JSON.parse(run(['-e', program("const m = require('memoir');")]));
    expect(out).toEqual({ missing: [], file: 42, memory: 2, path: 'string' });
  });

  it('works with import("memoir")', () => {
    const out = JSON.parse(
      run(['--input-type=module', '-e', program("const m = await import('memoir');")]),
    );
    expect(out).toEqual({ missing: [], file: 42, memory: 2, path: 'string' });
  });

  it('exports memoir/testing (the contract suite) and memoir/package.json, in both module systems', () => {
    const probe = (load: string) =>
      `${load}\nconsole.log(JSON.stringify({ suite: typeof testing.describeCoreContract, version: pkg.version }));`;
    const expected = { suite: 'function', version: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version };
    const cjs = probe("const testing = require('memoir/testing'); const pkg = require('memoir/package.json');");
    expect(JSON.parse(run(['-e', cjs]))).toEqual(expected);
    const esm = probe(
      "const testing = await import('memoir/testing'); const pkg = (await import('memoir/package.json', { with: { type: 'json' } })).default;",
    );
    expect(JSON.parse(run(['--input-type=module', '-e', esm]))).toEqual(expected);
  });
});
