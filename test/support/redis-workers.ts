import { type WorkerMessage, WorkerProcess } from './worker-process';

/**
 * Parent side of the cross-process Redis tests: workers (redis-worker-main.ts) called with a
 * key, or many keys at once.
 */
export type { WorkerMessage };

export class RedisWorker extends WorkerProcess {
  static start(env: Record<string, string>): Promise<RedisWorker> {
    return new RedisWorker(WorkerProcess.forkChild('redis-worker-main.ts', env)).ready(30_000);
  }

  static startMany(count: number, env: Record<string, string>): Promise<RedisWorker[]> {
    return Promise.all(Array.from({ length: count }, () => RedisWorker.start(env)));
  }

  /** One call; `lease` 'short' is the worker's REDIS_WORKER_LEASE, 'default' memoir's default. */
  call(
    key: string,
    mode: 'quick' | 'hang' | 'block' = 'quick',
    bodyMs?: number,
    lease: 'short' | 'default' = 'short',
  ): Promise<WorkerMessage> {
    return this.request({ type: 'call', key, mode, bodyMs, lease }, 30_000);
  }

  callMany(keys: string[], bodyMs?: number): Promise<WorkerMessage> {
    return this.request({ type: 'calls', keys, bodyMs }, 60_000);
  }

  whenStarted(key: string): Promise<WorkerMessage> {
    return this.next((message) => message.type === 'started' && message.key === key);
  }
}

/** Body runs of `key` across workers. */
export const runsOf = (workers: RedisWorker[], key: string) =>
  workers.reduce((sum, worker) => sum + worker.started(key), 0);
