import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Runs the built CLI (dist/cli.js, what `npm install -g` users get) as a child process.
 *
 * dist/cli.js is rebuilt when any source under lib/ or backends/ is newer. The rebuild is the
 * JS bundle of lib/cli.ts only (tsup without the d.ts pass, which takes half a minute here);
 * `npm run build` produces the same dist/cli.js plus types. Test files build under a lock so
 * two Jest workers never write the bundle at once.
 */
export const ROOT = path.resolve(__dirname, '../..');
export const CLI = path.join(ROOT, 'dist/cli.js');
const LOCK = path.join(ROOT, 'dist/.cli-build.lock');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  if (!fs.existsSync(CLI)) return false;
  const built = fs.statSync(CLI).mtimeMs;
  return (
    built >= newestSource(path.join(ROOT, 'lib')) &&
    built >= newestSource(path.join(ROOT, 'backends'))
  );
}

export async function ensureBuiltCli(): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!isFresh()) {
    fs.mkdirSync(path.dirname(LOCK), { recursive: true });
    try {
      fs.mkdirSync(LOCK);
    } catch {
      // Another worker is building; a lock older than the deadline is a dead worker's.
      if (Date.now() > deadline) fs.rmSync(LOCK, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    try {
      if (!isFresh()) {
        execFileSync(
          path.join(ROOT, 'node_modules/.bin/tsup'),
          [
            'lib/cli.ts',
            '--no-config',
            '--format',
            'cjs',
            '--target',
            'node20',
            '--external',
            'mongodb',
            '--external',
            'redis',
            '--external',
            'ioredis',
            '--out-dir',
            'dist',
            '--silent',
          ],
          { cwd: ROOT, stdio: 'pipe' },
        );
      }
    } finally {
      fs.rmSync(LOCK, { recursive: true, force: true });
    }
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json: any;
}

/** Runs `memoir ...args`; never rejects on a non-zero exit, which is what tests look at. */
export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd: ROOT,
        env: { ...process.env, MEMOIR_CACHE_DIR: '', ...options.env },
        timeout: options.timeoutMs ?? 20_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (code === -1) return reject(error);
        let json: unknown;
        try {
          json = JSON.parse(stdout);
        } catch {
          json = undefined;
        }
        resolve({ code, stdout, stderr, json });
      },
    );
  });
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `memoir-cli-${prefix}-`));
}
