/**
 * Driving the `memoir` CLI from a script: fill a cache in a temporary directory, then list it,
 * inspect it, precache a value the function has never computed, prune and clear, reading the
 * --json output the way a maintenance script would.
 *
 *   npx tsx examples/cli-usage.ts
 *
 * An installed package runs the same commands as `npx memoir ...`; here the CLI runs from
 * source so the example works without a build.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cached } from 'memoir';

const root = path.resolve(__dirname, '..');
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-cli-example-'));

/** Runs `memoir ...args` against the example's cache directory; returns stdout and the exit code. */
function memoir(...args: string[]): { code: number; stdout: string } {
  const result = spawnSync(
    path.join(root, 'node_modules/.bin/tsx'),
    [path.join(root, 'lib/cli.ts'), ...args, '--cache-dir', cacheDir],
    { encoding: 'utf8' },
  );
  if (result.stderr) console.log(`  (stderr) ${result.stderr.trimEnd()}`);
  return { code: result.status ?? -1, stdout: result.stdout };
}

function show(title: string, ...args: string[]): { code: number; stdout: string } {
  console.log(`\n$ memoir ${args.join(' ')}`);
  const result = memoir(...args);
  console.log(result.stdout.trimEnd().replace(/^/gm, '  '));
  console.log(`  → exit code ${result.code} (${title})`);
  return result;
}

let computed = 0;
const shipping = cached(
  (country: string, kilos: number) => {
    computed++;
    return { country, price: 4.5 + kilos * 1.2 };
  },
  { name: 'shipping', backend: 'file', cacheDir },
);

try {
  for (const [country, kilos] of [
    ['FR', 1],
    ['DE', 2],
    ['IT', 5],
  ] as const)
    shipping(country, kilos);

  show('every cache, human table', 'list');
  show('entries with age, size and a value summary', 'inspect', 'shipping');
  show('one entry, keyed from its arguments', 'inspect', 'shipping', '--args', '["DE", 2]');

  const values = path.join(cacheDir, 'known-prices.json');
  fs.writeFileSync(
    values,
    JSON.stringify([{ args: ['ES', 3], value: { country: 'ES', price: 7.9 } }]),
  );
  show('store a known result', 'precache', 'shipping', '--from', values);
  const before = computed;
  console.log(
    '\nshipping("ES", 3) =',
    shipping('ES', 3),
    computed === before ? '(a hit: the body did not run)' : '(computed)',
  );

  const { stdout } = show('the same list as JSON, for scripts', 'list', '--json');
  const total = (JSON.parse(stdout) as { caches: Array<{ entries: number }> }).caches[0].entries;
  console.log(`\na script reads: shipping holds ${total} entries`);

  show('nothing is a day old yet', 'prune', 'shipping', '--older-than', '1d');
  show('empty it', 'clear', 'shipping');
  show('unknown caches fail with exit code 1', 'inspect', 'no-such-cache');
} finally {
  fs.rmSync(cacheDir, { recursive: true, force: true });
}
