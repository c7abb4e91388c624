import { type WorkerMessage, WorkerProcess } from './worker-process';

/**
 * Parent side of the cross-process SQL tests: workers (sql-worker-main.ts) called on any
 * database URL.
 */
export type { WorkerMessage };

export class SqlWorker extends WorkerProcess {
  static start(env: Record<string, string> = {}): Promise<SqlWorker> {
    return new SqlWorker(WorkerProcess.forkChild('sql-worker-main.ts', env)).ready(30_000);
  }

  /** Sends a call and resolves with its result message. */
  call(url: string, key: string, mode: 'quick' | 'hang' | 'held' = 'quick', bodyMs?: number): Promise<WorkerMessage> {
    return this.request({ type: 'call', url, key, mode, bodyMs }, 20_000);
  }

  /** Lets the body of a 'held' call of `key` return. */
  release(key: string): void {
    this.child.send({ type: 'release', key });
  }
}
