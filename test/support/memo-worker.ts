import { CacheManager, type CachedOptions, cached } from '../../lib';

/**
 * A child process holding one memoized function, for cross-process engine tests. The parent
 * sends a command; the body tells the parent when it starts (so the parent can act while it
 * runs), sleeps `delayMs` and returns who computed it and when it began.
 */
export interface WorkerCommand {
  options: CachedOptions & { name: string };
  arg: number;
  delayMs: number;
  overwrite?: boolean;
}

export interface WorkerReply {
  value: { computedBy: number; startedAt: number };
  calledAt: number;
}

// Every child has its own manager: an invalidation reaches it only through the shared backend.
const manager = new CacheManager(`worker-${process.pid}`);

process.on('message', async (command: WorkerCommand) => {
  const f = cached(
    async (_arg: number) => {
      const startedAt = Date.now();
      process.send?.({ started: true });
      await new Promise((resolve) => setTimeout(resolve, command.delayMs));
      return { computedBy: process.pid, startedAt };
    },
    { ...command.options, manager },
  );
  const calledAt = Date.now();
  const call = command.overwrite ? f.with({ overwriteCache: true }) : f;
  const value = await call(command.arg);
  process.send?.({ value, calledAt } satisfies WorkerReply);
});
process.send?.({ ready: true });
