import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileCache } from '../../lib/caches/classes';
import { describeCacheContract } from '../../lib/testing/cache-contract';

const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-file-cache-'));

describeCacheContract('file', (options) => new FileCache({ ...options, cacheDir }), {
  fakeTime: true,
  teardown: () => fs.rmSync(cacheDir, { recursive: true, force: true }),
});
