import { spawn } from 'node:child_process';
import * as path from 'node:path';

/**
 * Starts the stand-in in a child process (see main.ts) and resolves with its URI and the pid
 * of the server process itself (node with tsx's loader, not a launcher in between, so that a
 * test can SIGSTOP the server to make it stop answering). Used when the server must outlive,
 * or be independent of, the process that drives the test.
 */
export async function spawnStandin(): Promise<{ uri: string; pid: number; stop(): Promise<void> }> {
  const root = path.resolve(__dirname, '../../..');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'main.ts')], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const uri = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline >= 0) resolve(out.slice(0, newline).trim());
    });
    child.once('exit', (code) => reject(new Error(`stand-in exited early (code ${code})`)));
    child.once('error', reject);
  });
  return {
    uri,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
