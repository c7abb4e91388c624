import { createFileCore } from '../backends/file';
import { describeCoreContract } from './contract/core-contract';
import { tempDirs } from './support/file-temp-dirs';

const dirs = tempDirs();
const root = dirs.make();

describeCoreContract('file (sharded store)', (name) => createFileCore(name, { cacheDir: root }));
describeCoreContract(
  'file (separate files)',
  (name) => createFileCore(name, { cacheDir: root, separateFiles: true }),
  { teardown: () => dirs.removeAll() },
);
