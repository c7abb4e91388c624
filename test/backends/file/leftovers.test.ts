import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createFileCore } from '../../../backends/file';
import { Faults } from '../../../backends/file/faults';
import { shardedLayout } from '../../../backends/file/layout';
import { isTempFileName, removeLeftovers } from '../../../backends/file/leftovers';
import { LOCK_STALE_MS } from '../../../backends/file/lock';
import { runSync } from '../../../backends/file/io';
import { load } from '../../../backends/file/reader';
import { compact } from '../../../backends/file/replace';
import { storeContext } from '../../../backends/file/store';
import { tempNameFor } from '../../../lib/util';
import { tempDirs } from '../../support/file-temp-dirs';

/**
 * Issue 12, item 12: temporary files (and locks) left by killed writers are removed once
 * they are older than the stale-lock time: by later writes, by cleanups and clears, and by
 * `memoir prune` (test/cli/file.test.ts). Young ones, and files memoir did not write, stay.
 */
jest.setTimeout(60_000);

const dirs = tempDirs('memoir-leftovers-');
afterAll(() => dirs.removeAll());

const CHILDREN = path.join(__dirname, '../../support/file-leftover-children.ts');
const T0 = 1_700_000_000_000;
let unique = 0;

function backdate(file: string, ms = LOCK_STALE_MS + 60_000): void {
  const then = new Date(Date.now() - ms);
  fs.utimesSync(file, then, then);
}

/** A file (or directory) at `dir/name`, back-dated unless `young`. */
function leftover(dir: string, name: string, { young = false, directory = false } = {}): string {
  const file = path.join(dir, name);
  if (directory) fs.mkdirSync(file);
  else fs.writeFileSync(file, 'partial');
  if (!young) backdate(file);
  return file;
}

function child(role: string, args: object): { process: ChildProcess; said: (text: string) => Promise<void> } {
  const spawned = spawn(process.execPath, ['--import', 'tsx', CHILDREN, role, JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  spawned.stdout!.on('data', (chunk) => (output += chunk));
  const said = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => (output.includes(text) ? resolve() : undefined);
      spawned.stdout!.on('data', check);
      spawned.once('exit', (code) => reject(new Error(`${role} exited (${code}) before saying ${text}`)));
      check();
    });
  return { process: spawned, said };
}

it('recognizes the names tempNameFor gives the temporary files of data files, and only those', () => {
  const dir = dirs.make();
  expect(isTempFileName(path.basename(tempNameFor(path.join(dir, 'shard-07.bin'))))).toBe(true);
  expect(isTempFileName(path.basename(tempNameFor(path.join(dir, `${'a'.repeat(40)}.entry`))))).toBe(true);
  expect(isTempFileName(path.basename(tempNameFor(path.join(dir, 'notes.txt'))))).toBe(false);
  expect(isTempFileName('.shard-07.bin.tmp')).toBe(false);
});

describe.each([
  { layout: 'sharded', separateFiles: false, data: 'shard-07.bin' },
  { layout: 'separate files', separateFiles: true, data: `${'e'.repeat(40)}.entry` },
])('file core ($layout): leftovers of killed writers', ({ separateFiles, data }) => {
  const open = (cacheDir: string, name: string) => createFileCore(name, { cacheDir, separateFiles, report: () => {} });

  it('a later write removes temporary files older than the stale-lock time, and stale locks', async () => {
    const cacheDir = dirs.make();
    const name = `leftovers-${unique++}`;
    const first = open(cacheDir, name);
    first.sync!.write('k', 1, { time: T0 });
    await first.close!();
    const dir = first.path!;
    const old = leftover(dir, path.basename(tempNameFor(path.join(dir, data))));
    const young = leftover(dir, path.basename(tempNameFor(path.join(dir, data))), { young: true });
    const staleLock = leftover(dir, `${data}.lock`, { directory: true });
    const liveLock = leftover(dir, `shard-00.bin.lock`, { directory: true, young: true });
    const foreign = [leftover(dir, 'notes.txt'), leftover(dir, '.notes.123.abcdefabcdef.tmp')];

    const later = open(cacheDir, name); // a new process's view
    await later.write('other', 2, { time: T0 });
    await later.close!(); // waits for the sweep the write started

    expect(fs.existsSync(old)).toBe(false);
    expect(fs.existsSync(staleLock)).toBe(false);
    for (const kept of [young, liveLock, ...foreign]) expect(fs.existsSync(kept)).toBe(true);
    expect(open(cacheDir, name).sync!.get('k')?.value).toBe(1);
  });

  it('a cleanup (deleteStale) and a clear sweep too', async () => {
    const cacheDir = dirs.make();
    const core = open(cacheDir, `leftovers-${unique++}`);
    core.sync!.write('k', 1, { time: T0 });
    await core.close!();
    const dir = core.path!;
    const old = leftover(dir, path.basename(tempNameFor(path.join(dir, data))));
    core.sync!.deleteStale(T0 - 1);
    await core.close!();
    expect(fs.existsSync(old)).toBe(false);
    const again = leftover(dir, path.basename(tempNameFor(path.join(dir, data))));
    await core.clear();
    await core.close!();
    expect(fs.existsSync(again)).toBe(false);
  });
});

it('removes the temporary file of a real writer killed with SIGKILL mid-write, once it is old', async () => {
  const cacheDir = dirs.make();
  const name = `killed-${unique++}`;
  const dir = path.join(cacheDir, name);
  const writer = child('writer', { cacheDir, name });
  await writer.said('ready');
  let temps: string[] = [];
  for (let waited = 0; temps.length === 0 && waited < 30_000; waited += 2) {
    temps = fs.existsSync(dir) ? fs.readdirSync(dir).filter(isTempFileName) : [];
    if (temps.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const exited = new Promise((resolve) => writer.process.once('exit', resolve));
  writer.process.kill('SIGKILL');
  await exited;
  temps = fs.readdirSync(dir).filter(isTempFileName);
  expect(temps.length).toBeGreaterThan(0); // the killed writer left its temporary file

  // Young, it could still be a live writer's: a write right away leaves it.
  const core = createFileCore(name, { cacheDir, separateFiles: true, report: () => {} });
  core.sync!.write('after', 1, { time: T0 });
  await core.close!();
  expect(fs.readdirSync(dir).filter(isTempFileName)).toEqual(temps);

  // Older than the stale-lock time (back-dated rather than waited for): the next write removes it.
  for (const temp of temps) backdate(path.join(dir, temp));
  const later = createFileCore(name, { cacheDir, separateFiles: true, report: () => {} });
  later.sync!.write('later', 2, { time: T0 });
  await later.close!();
  expect(fs.readdirSync(dir).filter(isTempFileName)).toEqual([]);
  expect(later.sync!.get('after')?.value).toBe(1);
});

it('a compaction whose prepared file is swept while it waits for the lock writes its records under the lock', async () => {
  const cacheDir = dirs.make();
  const core = createFileCore(`swept-${unique++}`, { cacheDir, report: () => {} });
  const layout = shardedLayout(core.path!);
  const file = layout.fileFor('a');
  core.sync!.write('a', 'kept', { time: T0 });
  const context = storeContext(core.path!, layout, new Faults(core.name, () => {}, false));
  const index = runSync(load(context, file));
  const generation = () => fs.readFileSync(file).toString('hex', 8, 16);
  const before = generation();

  // Another process holds the lock, and removes our prepared file while we wait for it.
  const holder = child('lock-holder', { file, holdMs: 1_500, sweepAtMs: 700 });
  await holder.said('locked');
  runSync(compact(context, file, index)); // blocks until the holder lets go

  expect(generation()).not.toBe(before); // compacted all the same
  expect(fs.readdirSync(core.path!).filter((name) => name !== path.basename(file))).toEqual([]);
  expect(createFileCore(core.name, { cacheDir }).sync!.get('a')?.value).toBe('kept');
});

it('removeLeftovers counts what it removed and treats a missing directory as empty', async () => {
  const dir = dirs.make();
  leftover(dir, path.basename(tempNameFor(path.join(dir, 'shard-01.bin'))));
  leftover(dir, path.basename(tempNameFor(path.join(dir, 'shard-02.bin'))));
  expect(await removeLeftovers(dir)).toBe(2);
  expect(await removeLeftovers(path.join(dir, 'missing'))).toBe(0);
});
