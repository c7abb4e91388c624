import { type WorkerMessage, WorkerProcess } from './worker-process';

/**
 * Parent side of the cross-process mongo tests: workers (mongo-worker-main.ts) that share one
 * stand-in, called with a key.
 */
export type { WorkerMessage };

export class MongoWorker extends WorkerProcess {
  static start(env: Record<string, string>): Promise<MongoWorker> {
    return new MongoWorker(WorkerProcess.forkChild('mongo-worker-main.ts', env)).ready(20_000);
  }

  /** Sends a call and resolves with its result message. */
  call(key: string, mode: 'quick' | 'hang' = 'quick', bodyMs?: number): Promise<WorkerMessage> {
    return this.request({ type: 'call', key, mode, bodyMs }, 20_000);
  }
}
