import { type ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';

/**
 * Parent side of the cross-process SQL tests: forks workers (sql-worker-main.ts, run by tsx),
 * sends them calls on any database URL and collects what they report.
 */
export interface WorkerMessage {
  type: 'ready' | 'started' | 'result' | 'warning';
  pid: number;
  id?: number;
  key?: string;
  value?: string;
  error?: string;
  message?: string;
}

export class SqlWorker {
  readonly messages: WorkerMessage[] = [];
  private readonly listeners = new Set<(exited: boolean) => void>();
  private calls = 0;

  private constructor(readonly child: ChildProcess) {
    child.on('message', (message: WorkerMessage) => {
      this.messages.push({ ...message, pid: child.pid! });
      for (const listener of [...this.listeners]) listener(false);
    });
    child.on('exit', () => {
      for (const listener of [...this.listeners]) listener(true);
    });
  }

  static async start(env: Record<string, string> = {}): Promise<SqlWorker> {
    const child = fork(path.join(__dirname, 'sql-worker-main.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const worker = new SqlWorker(child);
    await worker.next((message) => message.type === 'ready', 30_000);
    return worker;
  }

  /** Resolves with the first message (already received or future) that matches. */
  next(match: (message: WorkerMessage) => boolean, timeoutMs = 15_000): Promise<WorkerMessage> {
    return new Promise((resolve, reject) => {
      const settle = (outcome: () => void) => {
        this.listeners.delete(listener);
        clearTimeout(timer);
        outcome();
      };
      const listener = (exited: boolean) => {
        const found = this.messages.find(match);
        if (found) settle(() => resolve(found));
        else if (exited) settle(() => reject(new Error(`worker ${this.child.pid} exited`)));
      };
      const timer = setTimeout(
        () =>
          settle(() =>
            reject(
              new Error(`worker ${this.child.pid}: no matching message within ${timeoutMs} ms`),
            ),
          ),
        timeoutMs,
      );
      this.listeners.add(listener);
      listener(this.child.exitCode !== null || this.child.signalCode !== null);
    });
  }

  /** Sends a call and resolves with its result message. */
  call(
    url: string,
    key: string,
    mode: 'quick' | 'hang' = 'quick',
    bodyMs?: number,
  ): Promise<WorkerMessage> {
    const id = ++this.calls;
    this.child.send({ type: 'call', id, url, key, mode, bodyMs });
    return this.next((message) => message.type === 'result' && message.id === id, 20_000);
  }

  /** How many times this worker's body started for `key`. */
  started(key: string): number {
    return this.messages.filter((message) => message.type === 'started' && message.key === key)
      .length;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill(signal);
    });
  }
}
