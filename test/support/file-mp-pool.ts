import { type ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import type { CoreEvent } from '../../lib/contract/core';
import type { Request } from './file-mp-worker';

const WORKER = path.join(__dirname, 'file-mp-worker.ts');

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
type Payload = Request extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

/** A real child process running file-mp-worker.ts under tsx, answering requests over IPC. */
export class Worker {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly faults: Array<Omit<CoreEvent, 'cache'>> = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor() {
    this.child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.ready = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.on('message', (message: { type?: string; id?: number; result?: unknown; error?: string; event?: never }) => {
        if (message.type === 'ready') return resolve();
        if (message.type === 'fault') return void this.faults.push(message.event!);
        const pending = this.pending.get(message.id!);
        this.pending.delete(message.id!);
        if (message.error) pending?.reject(new Error(`worker ${this.child.pid}: ${message.error}`));
        else pending?.resolve(message.result);
      });
      this.child.once('exit', (code, signal) => {
        const error = new Error(`worker ${this.child.pid} exited (${code ?? signal})`);
        for (const pending of this.pending.values()) pending.reject(error);
        this.pending.clear();
        reject(error);
      });
    });
  }

  request<T = unknown>(payload: Payload): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ ...payload, id });
    });
  }

  /** Ends the process and waits until it is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill(signal);
    await exited;
  }
}

export async function startWorkers(count: number): Promise<Worker[]> {
  const workers = Array.from({ length: count }, () => new Worker());
  await Promise.all(workers.map((worker) => worker.ready));
  return workers;
}
