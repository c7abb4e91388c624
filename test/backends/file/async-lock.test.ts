import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createFileCore } from '../../../backends/file';
import { encodeFrame } from '../../../backends/file/format';
import { shardedLayout } from '../../../backends/file/layout';
import { tempDirs } from '../../support/file-temp-dirs';

/**
 * Issue 18, item 3: an async caller never blocks its event loop on a lock it can wait for. Another
 * process holds a file's compaction lock; the async caller that needs it (a writer that met the
 * seal of a replacement in progress, a compaction of its own) waits for it, and an interval
 * timer of the same process keeps ticking all the while.
 */
jest.setTimeout(30_000);

const dirs = tempDirs('memoir-async-lock-');
afterAll(() => dirs.removeAll());

const CHILDREN = path.join(__dirname, '../../support/file-leftover-children.ts');
const HOLD_MS = 700;
const TICK_MS = 5;
let unique = 0;

/** A child process holding `file`'s lock for HOLD_MS; resolves once it holds it. */
async function lockHolder(file: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILDREN, 'lock-holder', JSON.stringify({ file, holdMs: HOLD_MS, sweepAtMs: 60_000 })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      if (output.includes('locked')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`lock holder exited (${code}) before it held the lock`)));
  });
  return child;
}

/** Runs `wait` while an interval timer ticks; how long it took and how many ticks ran meanwhile. */
async function whileTicking(wait: () => Promise<unknown>): Promise<{ ms: number; ticks: number }> {
  let ticks = 0;
  const ticker = setInterval(() => ticks++, TICK_MS);
  const started = Date.now();
  try {
    await wait();
  } finally {
    clearInterval(ticker);
  }
  return { ms: Date.now() - started, ticks };
}

/** Keys that share the shard file of `anchor`. */
function neighbours(dir: string, anchor: string, count: number): string[] {
  const layout = shardedLayout(dir);
  const found: string[] = [];
  for (let i = 0; found.length < count; i++) if (layout.fileFor(`n${i}`) === layout.fileFor(anchor)) found.push(`n${i}`);
  return found;
}

it('a writer that meets a seal waits for the replacer’s lock without blocking, then finishes the replacement', async () => {
  const cacheDir = dirs.make();
  const core = createFileCore(`sealed-${unique++}`, { cacheDir, report: () => {} });
  const [other] = neighbours(core.path!, 'a', 1);
  await core.write('a', 'before', { time: 1 });
  const file = shardedLayout(core.path!).fileFor('a');
  // Another process is replacing the file: it holds the lock and has sealed the file (and here
  // it will let go without renaming, as if it died: the waiter finishes the job).
  const holder = await lockHolder(file);
  const generation = fs.readFileSync(file).toString('latin1', 8, 16);
  fs.appendFileSync(file, encodeFrame(generation, { op: 'seal' }));

  const { ms, ticks } = await whileTicking(() => core.write(other, 'after', { time: 2 }));
  holder.kill();

  expect(ms).toBeGreaterThanOrEqual(HOLD_MS / 2); // it did wait for the lock...
  expect(ticks).toBeGreaterThanOrEqual(ms / TICK_MS / 4); // ...and the event loop ran meanwhile
  const fresh = createFileCore(core.name, { cacheDir });
  expect(fresh.sync!.get('a')?.value).toBe('before');
  expect(fresh.sync!.get(other)?.value).toBe('after');
  expect(fs.readFileSync(file).toString('latin1', 8, 16)).not.toBe(generation); // replaced
  await core.close!();
});

it('an async write whose compaction waits for another process’s lock keeps the event loop running', async () => {
  const cacheDir = dirs.make();
  const core = createFileCore(`compacting-${unique++}`, { cacheDir, report: () => {} });
  const file = shardedLayout(core.path!).fileFor('a');
  // Superseded values up to just below the size at which a file is first looked at (64 KB).
  for (let round = 0; !fs.existsSync(file) || fs.statSync(file).size < 60 * 1024; round++) {
    core.sync!.write('a', { round, pad: 'p'.repeat(2_000) }, { time: round });
  }
  const generation = fs.readFileSync(file).toString('latin1', 8, 16);
  const holder = await lockHolder(file);

  // This write takes the file past 64 KB, mostly superseded values: it compacts, behind the lock.
  const { ms, ticks } = await whileTicking(() => core.write('a', { round: 'last', pad: 'q'.repeat(6_000) }, { time: 1_000 }));
  holder.kill();

  expect(ms).toBeGreaterThanOrEqual(HOLD_MS / 2);
  expect(ticks).toBeGreaterThanOrEqual(ms / TICK_MS / 4);
  expect(fs.readFileSync(file).toString('latin1', 8, 16)).not.toBe(generation); // compacted
  expect(fs.statSync(file).size).toBeLessThan(10_000);
  expect(createFileCore(core.name, { cacheDir }).sync!.get('a')?.value).toMatchObject({ round: 'last' });
  await core.close!();
});
