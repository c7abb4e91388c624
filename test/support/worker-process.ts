import { type ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';

/**
 * Parent side of a cross-process test: a child process (a `*-worker-main.ts`, run by tsx) that
 * takes requests over IPC and reports what happens; every message is kept, so a test can wait
 * for one that already arrived. The backend-specific workers add their `call` on top.
 */
export interface WorkerMessage {
  type: string;
  pid: number;
  id?: number;
  key?: string;
  value?: unknown;
  error?: string;
  message?: string;
}

export class WorkerProcess {
  readonly messages: WorkerMessage[] = [];
  /** Waiters re-check on every message, and are told when the child exits. */
  private readonly listeners = new Set<(exited: boolean) => void>();
  private requests = 0;

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: WorkerMessage) => {
      this.messages.push({ ...message, pid: child.pid! });
      for (const listener of [...this.listeners]) listener(false);
    });
    child.on('exit', () => {
      for (const listener of [...this.listeners]) listener(true);
    });
  }

  /** Forks `main` (a file in test/support) and resolves once it says it is ready. */
  static forkChild(main: string, env: Record<string, string>): ChildProcess {
    return fork(path.join(__dirname, main), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  }

  async ready(timeoutMs: number): Promise<this> {
    await this.next((message) => message.type === 'ready', timeoutMs);
    return this;
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
        () => settle(() => reject(new Error(`worker ${this.child.pid}: no matching message within ${timeoutMs} ms`))),
        timeoutMs,
      );
      this.listeners.add(listener);
      listener(this.child.exitCode !== null || this.child.signalCode !== null);
    });
  }

  /** Sends `request` with a fresh id and resolves with the `result` message of that id. */
  protected request(request: Record<string, unknown>, timeoutMs: number): Promise<WorkerMessage> {
    const id = ++this.requests;
    this.child.send({ ...request, id });
    return this.next((message) => message.type === 'result' && message.id === id, timeoutMs);
  }

  /** How many times this worker's body started for `key`. */
  started(key: string): number {
    return this.messages.filter((message) => message.type === 'started' && message.key === key).length;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill(signal);
    });
  }
}
