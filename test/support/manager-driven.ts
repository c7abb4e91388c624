import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';

const driver = path.join(__dirname, 'manager-driver.ts');
const repoRoot = path.join(__dirname, '../..');

/** How a driven child ended. */
export interface Ending {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * The parent's side of test/support/manager-driver.ts: a real child process holding one
 * persistent cache, driven one command at a time so tests choose the interleaving.
 */
export class DrivenProcess {
  private static readonly running = new Set<DrivenProcess>();

  /** Kills the children a failed test left running (call in afterEach). */
  static async killLeftovers(): Promise<void> {
    const left = [...DrivenProcess.running];
    for (const driven of left) driven.child.kill('SIGKILL');
    await Promise.all(left.map((driven) => driven.ended));
  }

  /** The contents it found on disk when it registered the cache. */
  loaded: Record<string, unknown> = {};
  private readonly child: ChildProcess;
  private readonly replies: Array<(reply: any) => void> = [];
  private readonly queued: unknown[] = [];
  private stderr = '';
  readonly ended: Promise<Ending>;

  private constructor(cacheDir: string, cacheName: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', driver, cacheDir, cacheName], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr!.on('data', (chunk) => {
      this.stderr += chunk;
    });
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const reply = JSON.parse(line);
      const waiter = this.replies.shift();
      if (waiter) waiter(reply);
      else this.queued.push(reply);
    });
    DrivenProcess.running.add(this);
    this.ended = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        DrivenProcess.running.delete(this);
        resolve({ code, signal, stderr: this.stderr });
      });
    });
  }

  /** Starts a child on `cacheDir` and waits until it has loaded the cache. */
  static async start(cacheDir: string, cacheName = 'shared'): Promise<DrivenProcess> {
    const driven = new DrivenProcess(cacheDir, cacheName);
    const ready = await driven.next();
    if (!ready?.ready) throw new Error(`driver did not start: ${JSON.stringify(ready)} ${driven.stderr}`);
    driven.loaded = ready.loaded;
    return driven;
  }

  /** Sends one command and resolves with the child's answer. */
  send(command: Record<string, unknown>): Promise<any> {
    const answer = this.next();
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    return answer;
  }

  /** The next line the child prints (a reply, or a signal handler's report). */
  next(): Promise<any> {
    const queued = this.queued.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      this.replies.push(resolve);
      this.ended.then((ending) => reject(new Error(`driver ended: ${JSON.stringify(ending)}`)));
    });
  }

  /** Asks the child to end ('natural': let its event loop drain) and waits for it. */
  async exit(how: 'natural' | 'process-exit' | 'throw' = 'natural'): Promise<Ending> {
    this.child.stdin!.write(`${JSON.stringify({ op: 'exit', how })}\n`);
    this.child.stdin!.end();
    return this.ended;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  get pid(): number {
    return this.child.pid!;
  }
}
