import * as fs from 'node:fs';
import { cached } from '../../lib';

/**
 * A child process that memoizes a slow function on the file backend and calls it when the
 * parent says so (IPC), so that many processes can start one call at the same moment.
 * The body appends this pid to `countFile`: the parent counts body runs across processes.
 */
interface CallCommand {
  cacheDir: string;
  name: string;
  separateFiles: boolean;
  sync: boolean;
  delayMs: number;
  lease: number;
  countFile: string;
  arg: number;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function makeFunction(command: CallCommand) {
  const options = {
    backend: 'file' as const,
    cacheDir: command.cacheDir,
    separateFiles: command.separateFiles,
    name: command.name,
    lease: command.lease,
  };
  const record = (arg: number) => {
    fs.appendFileSync(command.countFile, `${process.pid}\n`);
    return { computedBy: process.pid, square: arg * arg };
  };
  if (command.sync) {
    return cached((arg: number) => {
      const result = record(arg);
      Atomics.wait(sleeper, 0, 0, command.delayMs);
      return result;
    }, options);
  }
  return cached(async (arg: number) => {
    const result = record(arg);
    await new Promise((resolve) => setTimeout(resolve, command.delayMs));
    return result;
  }, options);
}

process.on('message', async (command: CallCommand) => {
  const started = Date.now();
  const value = await makeFunction(command)(command.arg);
  process.send?.({ value, ms: Date.now() - started, pid: process.pid });
});
process.send?.({ ready: true });
