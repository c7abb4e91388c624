/**
 * A child process for the file-core multi-process tests. It serves requests from the parent
 * over IPC, using the file core directly (acquire, renew, write, waitForChange) the way the
 * engine does, so the tests exercise the core's cross-process guarantees on their own.
 * Requests: { id, op, ... }; replies: { id, result } or { id, error }.
 */
import { createFileCore } from '../../backends/file';
import type { Core, StoreOperations } from '../../lib/contract/core';

export interface Target {
  cacheDir: string;
  separateFiles: boolean;
  name: string;
}

export type Request = { id: number; target: Target } & (
  | { op: 'compute'; key: string; delayMs: number; leaseMs: number; sync: boolean }
  | { op: 'fill'; prefix: string; count: number; sync: boolean }
  | { op: 'hang'; key: string; leaseMs: number }
  | { op: 'read'; key: string }
  | { op: 'readLoop'; key: string; durationMs: number }
  | { op: 'churn'; key: string; rounds: number; bytes: number; sync: boolean }
  | { op: 'writeLoop'; key: string; bytes: number; sync: boolean }
);

/** What a process saw while rewriting its own key next to others doing the same. */
export interface ChurnResult {
  /** Reads right after a write that did not return that write's value. */
  stale: number;
  /** Acquires of its own key (nobody else claims it) that were refused. */
  refused: number;
}

/** What a reader saw while another process kept rewriting a large value. */
export interface ReadLoopResult {
  reads: number;
  torn: number;
  distinct: number;
}

export interface ComputeResult {
  value: unknown;
  computed: boolean;
}

const owner = () => `${process.pid}-${Math.random().toString(36).slice(2)}`;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cores = new Map<string, Core>();

function coreFor(target: Target): Core {
  const id = JSON.stringify(target);
  let core = cores.get(id);
  if (!core) {
    core = createFileCore(target.name, {
      cacheDir: target.cacheDir,
      separateFiles: target.separateFiles,
      report: (event) => process.send?.({ type: 'fault', event: { ...event, error: undefined } }),
    });
    cores.set(id, core);
  }
  return core;
}

const claim = (me: string, leaseMs: number) => {
  const now = Date.now();
  return { owner: me, now, leaseUntil: now + leaseMs };
};

/** The engine's decision loop, reduced: hit, else mark and compute, else wait and retry. */
async function compute(core: Core, key: string, delayMs: number, leaseMs: number): Promise<ComputeResult> {
  const me = owner();
  for (;;) {
    const entry = await core.get(key);
    if (entry?.completed) return { value: entry.value, computed: false };
    const outcome = await core.acquire(key, claim(me, leaseMs));
    if (outcome.acquired && outcome.entry.completed) {
      await core.release(key, me);
      return { value: outcome.entry.value, computed: false };
    }
    if (outcome.acquired) {
      const renewal = setInterval(() => void core.renew(key, claim(me, leaseMs)), leaseMs / 3);
      await sleep(delayMs);
      clearInterval(renewal);
      const value = { key, by: process.pid };
      await core.write(key, value, { time: Date.now(), owner: me });
      return { value, computed: true };
    }
    await core.waitForChange!(key, 100);
  }
}

/** The same loop with the sync operations (a sync function's path): polls, sleeps blocking. */
function computeSync(ops: StoreOperations<'sync'>, key: string, delayMs: number, leaseMs: number): ComputeResult {
  const me = owner();
  for (;;) {
    const entry = ops.get(key);
    if (entry?.completed) return { value: entry.value, computed: false };
    const outcome = ops.acquire(key, claim(me, leaseMs));
    if (outcome.acquired && outcome.entry.completed) {
      ops.release(key, me);
      return { value: outcome.entry.value, computed: false };
    }
    if (outcome.acquired) {
      Atomics.wait(sleeper, 0, 0, delayMs);
      const value = { key, by: process.pid };
      ops.write(key, value, { time: Date.now(), owner: me });
      return { value, computed: true };
    }
    Atomics.wait(sleeper, 0, 0, 20);
  }
}

async function handle(request: Request): Promise<unknown> {
  const core = coreFor(request.target);
  switch (request.op) {
    case 'compute':
      return request.sync
        ? computeSync(core.sync!, request.key, request.delayMs, request.leaseMs)
        : compute(core, request.key, request.delayMs, request.leaseMs);
    case 'fill': {
      let computed = 0;
      for (let i = 0; i < request.count; i++) {
        const key = `${request.prefix}-${i}`;
        const result = request.sync ? computeSync(core.sync!, key, 0, 5_000) : await compute(core, key, 0, 5_000);
        if (result.computed) computed++;
      }
      return computed;
    }
    case 'hang': {
      const me = owner();
      const outcome = await core.acquire(request.key, claim(me, request.leaseMs));
      if (!outcome.acquired) throw new Error('hang: could not acquire');
      // Alive and renewing until the parent kills this process.
      setInterval(() => void core.renew(request.key, claim(me, request.leaseMs)), request.leaseMs / 3);
      return 'acquired';
    }
    case 'read':
      return (await core.get(request.key))?.value;
    case 'writeLoop': {
      // Rewrites one large value (a byte repeated) and marks it, until the parent kills this
      // process: sooner or later mid-append, mid-compaction or holding the lock.
      const ops = core.sync!;
      let round = 0;
      const once = async () => {
        round++;
        const value = new Uint8Array(request.bytes).fill(round % 256);
        const now = Date.now();
        const claim = { owner: owner(), now, leaseUntil: now + 60_000 };
        if (request.sync) {
          ops.acquire(request.key, claim);
          ops.write(request.key, value, { time: now, owner: claim.owner });
        } else {
          await core.acquire(request.key, claim);
          await core.write(request.key, value, { time: now, owner: claim.owner });
        }
      };
      await once();
      const loop = () => void once().then(() => setImmediate(loop));
      setImmediate(loop);
      return 'writing';
    }
    case 'churn': {
      // Mark, write, read back: the cycle a memoized miss makes, many times over, so that the
      // shared file keeps growing and being compacted under the other processes' feet.
      const ops = core.sync!;
      const result: ChurnResult = { stale: 0, refused: 0 };
      for (let round = 1; round <= request.rounds; round++) {
        const me = owner();
        const now = Date.now();
        const value = { round, pad: 'x'.repeat(request.bytes) };
        const acquired = request.sync
          ? ops.acquire(request.key, { owner: me, now, leaseUntil: now + 5_000 })
          : await core.acquire(request.key, { owner: me, now, leaseUntil: now + 5_000 });
        if (!acquired.acquired) result.refused++;
        if (request.sync) ops.write(request.key, value, { time: now, owner: me });
        else await core.write(request.key, value, { time: now, owner: me });
        const seen = (request.sync ? ops.get(request.key) : await core.get(request.key))?.value as typeof value | undefined;
        if (seen?.round !== round) result.stale++;
      }
      return result;
    }
    case 'readLoop': {
      // Every value the writer stores is one byte repeated: anything else is a torn read.
      const result: ReadLoopResult = { reads: 0, torn: 0, distinct: 0 };
      const seen = new Set<number>();
      const end = Date.now() + request.durationMs;
      while (Date.now() < end) {
        const value = core.sync!.get(request.key)?.value as Uint8Array | undefined;
        if (!value) continue;
        result.reads++;
        const first = value[0];
        if (value.length !== 1024 * 1024 || value.some((byte) => byte !== first)) result.torn++;
        seen.add(first);
      }
      result.distinct = seen.size;
      return result;
    }
  }
}

process.on('message', (request: Request) => {
  handle(request).then(
    (result) => process.send?.({ id: request.id, result }),
    (error: Error) => process.send?.({ id: request.id, error: `${error.stack ?? error}` }),
  );
});
process.send?.({ type: 'ready' });
