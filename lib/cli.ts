#!/usr/bin/env node
/**
 * The `memoir` command: list, inspect, clear, prune and precache caches from a terminal or a
 * script. See docs/cli.md. The work is in lib/cli/; this file only wires it to the process.
 */
import { runCli } from './cli/index';

runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  now: () => Date.now(),
  env: process.env,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`memoir: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
