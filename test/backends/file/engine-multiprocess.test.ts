import { type ChildProcess, fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Real processes calling one memoized function (`cached`, file backend), not just the core:
 * eight processes, one key, one body run; a calculator killed with SIGKILL mid-run, and a
 * waiter that recovers by itself within the lease.
 */
const WORKER = path.join(__dirname, '../../support/file-engine-worker.ts');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-engine-mp-'));
let names = 0;

interface Reply {
  value: { computedBy: number; square: number };
  ms: number;
  pid: number;
}

function startWorker(): Promise<ChildProcess> {
  const child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('error', reject);
  });
}

function call(child: ChildProcess, command: Record<string, unknown>): Promise<Reply> {
  return new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as Reply));
    child.send(command);
  });
}

const bodyRuns = (countFile: string) =>
  fs.existsSync(countFile) ? fs.readFileSync(countFile, 'utf8').trim().split('\n').filter(Boolean) : [];

let pool: ChildProcess[] = [];

beforeAll(async () => {
  pool = await Promise.all(Array.from({ length: 8 }, startWorker));
}, 120_000);

afterAll(() => {
  for (const child of pool) child.kill();
  fs.rmSync(root, { recursive: true, force: true });
});

describe.each([
  ['sharded store', false],
  ['separate files', true],
])('cached() across processes, %s', (_label, separateFiles) => {
  const command = () => {
    const name = `mp-${names++}`;
    return {
      cacheDir: root,
      name,
      separateFiles,
      delayMs: 400,
      lease: 2_000,
      countFile: path.join(root, `${name}.runs`),
      arg: 12,
    };
  };

  it('8 processes (sync and async functions) call one key at once: the body runs once, all get its value', async () => {
    const base = command();
    const replies = await Promise.all(pool.map((child, i) => call(child, { ...base, sync: i % 2 === 0 })));
    expect(bodyRuns(base.countFile)).toHaveLength(1);
    const [first] = replies;
    expect(first.value.square).toBe(144);
    for (const reply of replies) expect(reply.value).toEqual(first.value);
  }, 60_000);

  it('a calculator killed with SIGKILL: a waiting process takes over within the lease, no manual clearing', async () => {
    const base = { ...command(), lease: 1_000 };
    const victim = await startWorker();
    const victimCall = call(victim, { ...base, sync: false, delayMs: 30_000 });
    void victimCall;
    while (bodyRuns(base.countFile).length === 0) await new Promise((r) => setTimeout(r, 20));

    const waiter = pool[0];
    const waiting = call(waiter, { ...base, sync: false, delayMs: 50 });
    await new Promise((r) => setTimeout(r, 200)); // the waiter is now waiting on the live mark
    victim.kill('SIGKILL');
    const killedAt = Date.now();
    const reply = await waiting;

    expect(reply.value.computedBy).toBe(waiter.pid);
    expect(bodyRuns(base.countFile)).toEqual([String(victim.pid), String(waiter.pid)]);
    // The dead mark expires within one lease of the kill (it was renewed until then), plus polling slack.
    expect(Date.now() - killedAt).toBeLessThan(base.lease + 2_000);
  }, 60_000);
});
