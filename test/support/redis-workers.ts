import { type ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';

/**
 * Parent side of the cross-process Redis tests: forks redis-worker-main.ts under tsx, sends
 * it calls, and keeps every message it reports.
 */
export interface WorkerMessage {
  type: 'ready' | 'started' | 'result';
  id?: number;
  key?: string;
  value?: unknown;
  error?: string;
}

export class RedisWorker {
  readonly messages: WorkerMessage[] = [];
  private readonly listeners = new Set<(exited: boolean) => void>();
  private calls = 0;

  private constructor(readonly child: ChildProcess) {
    child.on('message', (message: WorkerMessage) => {
      this.messages.push(message);
      for (const listener of [...this.listeners]) listener(false);
    });
    child.on('exit', () => {
      for (const listener of [...this.listeners]) listener(true);
    });
  }

  static async start(env: Record<string, string>): Promise<RedisWorker> {
    const child = fork(path.join(__dirname, 'redis-worker-main.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const worker = new RedisWorker(child);
    await worker.next((message) => message.type === 'ready', 30_000);
    return worker;
  }

  static startMany(count: number, env: Record<string, string>): Promise<RedisWorker[]> {
    return Promise.all(Array.from({ length: count }, () => RedisWorker.start(env)));
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

  /** One call; `lease` 'short' is the worker's REDIS_WORKER_LEASE, 'default' memoir's default. */
  call(
    key: string,
    mode: 'quick' | 'hang' | 'block' = 'quick',
    bodyMs?: number,
    lease: 'short' | 'default' = 'short',
  ): Promise<WorkerMessage> {
    const id = ++this.calls;
    this.child.send({ type: 'call', id, key, mode, bodyMs, lease });
    return this.next((message) => message.type === 'result' && message.id === id, 30_000);
  }

  callMany(keys: string[], bodyMs?: number): Promise<WorkerMessage> {
    const id = ++this.calls;
    this.child.send({ type: 'calls', id, keys, bodyMs });
    return this.next((message) => message.type === 'result' && message.id === id, 60_000);
  }

  /** How many times this worker's body started for `key`. */
  started(key: string): number {
    return this.messages.filter((message) => message.type === 'started' && message.key === key)
      .length;
  }

  whenStarted(key: string): Promise<WorkerMessage> {
    return this.next((message) => message.type === 'started' && message.key === key);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill(signal);
    });
  }
}

/** Body runs of `key` across workers. */
export const runsOf = (workers: RedisWorker[], key: string) =>
  workers.reduce((sum, worker) => sum + worker.started(key), 0);
