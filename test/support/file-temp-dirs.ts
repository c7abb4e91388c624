import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Temporary directories for file-core tests, all removed by `removeAll` in teardown. */
export function tempDirs(prefix = 'memoir-file-') {
  const made: string[] = [];
  return {
    make(): string {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      made.push(dir);
      return dir;
    },
    removeAll(): void {
      for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
