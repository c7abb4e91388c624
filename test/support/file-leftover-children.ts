/**
 * Child processes for the leftovers tests (test/backends/file/leftovers.test.ts), run with
 * `node --import tsx file-leftover-children.ts <role> <json>`:
 *
 * - `writer {cacheDir, name}`: writes 16 MB values under new keys forever (separate files, so
 *   each write is a temporary file linked into place), to be SIGKILLed mid-write.
 * - `lock-holder {file, holdMs, sweepAtMs}`: takes `file`'s compaction lock, and while it holds
 *   it removes the temporary files of `file` (as a sweep in another process would), then
 *   releases it; says "locked" on stdout once it holds the lock.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { createFileCore } from '../../backends/file';

const [role, json] = process.argv.slice(2);
const args = JSON.parse(json);

if (role === 'writer') {
  const core = createFileCore(args.name, { cacheDir: args.cacheDir, separateFiles: true });
  const big = Buffer.alloc(16 * 1024 * 1024, 7);
  process.stdout.write('ready\n');
  for (let i = 0; ; i++) core.sync!.write(`key-${i}`, big, { time: Date.now() });
} else if (role === 'lock-holder') {
  const unlock = lockfile.lockSync(args.file, { stale: 5_000, realpath: false });
  process.stdout.write('locked\n');
  setTimeout(() => {
    const dir = path.dirname(args.file);
    const prefix = `.${path.basename(args.file)}.`;
    for (const name of fs.readdirSync(dir)) if (name.startsWith(prefix) && name.endsWith('.tmp')) fs.rmSync(path.join(dir, name));
  }, args.sweepAtMs);
  setTimeout(() => {
    unlock();
    process.exit(0);
  }, args.holdMs);
} else {
  throw new Error(`unknown role ${role}`);
}
