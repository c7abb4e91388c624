import { existsSync } from 'node:fs';
import { defineConfig } from 'tsup';

const entry: Record<string, string> = { index: 'lib/index.ts', testing: 'lib/testing/index.ts' };
if (existsSync('lib/cli.ts')) entry.cli = 'lib/cli.ts';

export default defineConfig({
  entry,
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  // No source maps: the build is plain, unminified JavaScript that reads well in a stack
  // trace, and the maps were most of the package's size.
  sourcemap: false,
  target: 'node20',
  // The ESM build keeps lazy require() of backends and of the optional mongodb driver working.
  banner: ({ format }) =>
    format === 'esm' ? { js: "import { createRequire as __memoirCreateRequire } from 'node:module'; const require = __memoirCreateRequire(import.meta.url);" } : {},
  external: ['mongodb', 'redis', 'ioredis'],
});
