import { type ChildProcess, fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CacheManager, type CachedOptions, cached, closeConnections } from '../../lib';
import { type Standin, startStandin } from '../support/mongo-standin';
import type { WorkerCommand, WorkerReply } from '../support/memo-worker';
import { SCRATCH, type ScratchDatabase } from '../support/sql-databases';

/**
 * Guarantees that hold across processes sharing a backend, with real child processes:
 * an invalidation in one process fences a calculation running in another, and an overwrite
 * caller never gets a value whose calculation began before its call.
 */
const WORKER = path.join(__dirname, '../support/memo-worker.ts');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-engine-xp-'));
let standin: Standin;
let postgres: ScratchDatabase;
let mariadb: ScratchDatabase;
let names = 0;
const children: ChildProcess[] = [];

beforeAll(async () => {
  standin = await startStandin();
  [postgres, mariadb] = await Promise.all([SCRATCH.postgres('engine_xp'), SCRATCH.mysql('engine_xp')]);
});

afterAll(async () => {
  for (const child of children) child.kill();
  await closeConnections();
  await standin.stop();
  await Promise.all([postgres?.drop(), mariadb?.drop()]);
  fs.rmSync(root, { recursive: true, force: true });
});

function startWorker(): Promise<ChildProcess> {
  const child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('error', reject);
  });
}

/** Sends a call; `started` resolves when the body begins, `reply` with the call's answer. */
function send(child: ChildProcess, command: WorkerCommand) {
  let onStarted!: () => void;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  const reply = new Promise<WorkerReply>((resolve) => {
    const listen = (message: { started?: boolean } & Partial<WorkerReply>) => {
      if (message.started) return onStarted();
      child.off('message', listen);
      resolve(message as WorkerReply);
    };
    child.on('message', listen);
  });
  child.send(command);
  return { started, reply };
}

const backends: Array<[string, () => CachedOptions]> = [
  ['file (sharded)', () => ({ backend: 'file', cacheDir: root })],
  ['file (separate files)', () => ({ backend: 'file', cacheDir: root, separateFiles: true })],
  ['mongo (stand-in)', () => ({ backend: 'mongo', mongetter: { uri: standin.uri, db: 'memoir_test', collection: 'xp' } })],
  ['sql (postgres)', () => ({ backend: 'sql', sql: postgres.url })],
  ['sql (mariadb)', () => ({ backend: 'sql', sql: mariadb.url })],
  ['sql (sqlite)', () => ({ backend: 'sql', sql: `sqlite://${path.join(root, 'xp.db')}` })],
];

describe.each(backends)('across processes on %s', (_label, backendOptions) => {
  let worker: ChildProcess;
  let other: ChildProcess;
  beforeAll(async () => {
    [worker, other] = await Promise.all([startWorker(), startWorker()]);
  }, 60_000);

  test('an invalidation in another process fences a running calculation: its result is returned, not stored', async () => {
    const name = `report-${names++}`;
    const options = { ...backendOptions(), name, dependsOn: ['raw'] };
    const running = send(worker, { options, arg: 1, delayMs: 1_500 });
    await running.started;

    // This process is "process B": it defines the same function and invalidates its parent.
    const manager = new CacheManager(`b-${names}`);
    manager.registerCustomCache('raw', { persistent: false });
    const report = cached(async (_arg: number) => ({ computedBy: process.pid, startedAt: Date.now() }), {
      ...options,
      manager,
    });
    await manager.invalidate('raw');

    const { value } = await running.reply;
    expect(value.computedBy).toBe(worker.pid); // the caller still got its result
    expect(await report.peek(1)).toBeUndefined(); // but it was not stored
    expect((await report(1)).computedBy).toBe(process.pid);
  }, 30_000);

  test('an overwrite caller gets a value whose calculation began after its call, in any process', async () => {
    const name = `overwrite-${names++}`;
    const options = { ...backendOptions(), name };
    const seed = cached(async (_arg: number) => ({ computedBy: 0, startedAt: 0 }), options);
    await seed(1); // an old value is cached

    const first = send(worker, { options, arg: 1, delayMs: 1_500, overwrite: true });
    await first.started;
    const second = send(other, { options, arg: 1, delayMs: 200, overwrite: true });
    const [a, b] = await Promise.all([first.reply, second.reply]);
    expect(a.value.startedAt).toBeGreaterThanOrEqual(a.calledAt);
    expect(b.value.startedAt).toBeGreaterThanOrEqual(b.calledAt);
    expect(b.value.computedBy).toBe(other.pid);
  }, 30_000);
});
