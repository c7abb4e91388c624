import { type ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';

/** Parent side of the cross-process key-value tests: a real child per worker (kv-worker.ts). */
type Message = { type: 'ready' | 'reply' | 'started'; id?: number; result?: unknown; error?: string; key?: string; pid?: number };

export class KvWorker {
  readonly started: string[] = [];
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private nextId = 0;
  readonly ready: Promise<void>;

  constructor(readonly child: ChildProcess) {
    this.ready = new Promise((resolve, reject) => {
      child.once('error', reject);
      child.on('message', (message: Message) => {
        if (message.type === 'ready') return resolve();
        if (message.type === 'started') return void this.started.push(message.key!);
        const waiter = this.pending.get(message.id!);
        this.pending.delete(message.id!);
        waiter?.resolve(message.error === undefined ? message.result : { error: message.error });
      });
      child.once('exit', (code, signal) => {
        const error = new Error(`worker ${child.pid} exited (${code ?? signal})`);
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
        reject(error);
      });
    });
  }

  static start(): KvWorker {
    return new KvWorker(
      fork(path.join(__dirname, 'kv-worker.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
  }

  /** Sends an order; resolves its result, or `{ error }` with the error's code. */
  request<T = unknown>(op: string, fields: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, op, ...fields });
    });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill(signal);
    return exited;
  }
}

export async function startKvWorkers(count: number): Promise<KvWorker[]> {
  const workers = Array.from({ length: count }, () => KvWorker.start());
  await Promise.all(workers.map((worker) => worker.ready));
  return workers;
}
