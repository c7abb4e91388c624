import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeFrame, FORMAT_VERSION, HEADER_SIZE } from '../../../backends/file/format';
import { separateFilesLayout, shardedLayout } from '../../../backends/file/layout';
import { Faults } from '../../../backends/file/faults';
import { runSync } from '../../../backends/file/io';
import { load } from '../../../backends/file/reader';
import { awaitReplacement, compact } from '../../../backends/file/replace';
import { FileIndex } from '../../../backends/file/file-index';
import { storeContext } from '../../../backends/file/store';
import { openWatcherCount } from '../../../backends/file/watch';
import type { Core, CoreEvent } from '../../../lib/contract/core';
import { MemoirError } from '../../../lib/errors';
import { createFileCore } from '../../../backends/file';
import { describeCoreContract } from '../../../lib/testing/core-contract';
import { tempDirs } from '../../support/file-temp-dirs';

const dirs = tempDirs();
const root = dirs.make();

/** Overwrites the file holding `key` with bytes that are no memoir file. */
const scribbleOver = (separateFiles: boolean) => (core: Core, key: string) => {
  const layout = separateFiles ? separateFilesLayout(core.path!) : shardedLayout(core.path!);
  fs.writeFileSync(layout.fileFor(key), Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919) % 256)));
};

describeCoreContract('file (sharded store)', (name, report) => createFileCore(name, { cacheDir: root, report }), {
  sync: true,
  corrupt: scribbleOver(false),
});
describeCoreContract(
  'file (separate files)',
  (name, report) => createFileCore(name, { cacheDir: root, separateFiles: true, report }),
  { sync: true, corrupt: scribbleOver(true), teardown: () => dirs.removeAll() },
);

const T0 = 1_700_000_000_000;
const isRoot = process.getuid?.() === 0;
let unique = 0;

const layouts = [
  { label: 'sharded', separateFiles: false, fileOf: (dir: string, key: string) => shardedLayout(dir).fileFor(key) },
  { label: 'separate files', separateFiles: true, fileOf: (dir: string, key: string) => separateFilesLayout(dir).fileFor(key) },
] as const;

function open(separateFiles: boolean, cacheDir = root) {
  const events: Array<Omit<CoreEvent, 'cache'>> = [];
  const core = createFileCore(`regression-${unique++}`, {
    cacheDir,
    separateFiles,
    report: (event) => events.push(event),
  });
  return { core, events };
}

/** A key that the sharded layout stores in another file than `key` (any key does for separate files). */
function keyElsewhere(dir: string, key: string, fileOf: (dir: string, key: string) => string): string {
  for (let i = 0; ; i++) if (fileOf(dir, `other-${i}`) !== fileOf(dir, key)) return `other-${i}`;
}

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe.each(layouts)('file core ($label): files on disk', ({ separateFiles, fileOf }) => {
  afterAll(() => dirs.removeAll());

  it('creates the function directory 0700 and its files 0600, and cachePath() is that directory', async () => {
    const cacheDir = path.join(dirs.make(), 'not', 'yet', 'there');
    const { core } = open(separateFiles, cacheDir);
    expect(core.path).toBe(path.join(cacheDir, path.basename(core.path!)));
    expect(fs.existsSync(core.path!)).toBe(false); // created on demand, not when opened
    await core.write('k', 1, { time: T0 });
    expect(mode(core.path!)).toBe(0o700);
    expect(mode(cacheDir)).toBe(0o700);
    const files = fs.readdirSync(core.path!);
    expect(files).toEqual([path.basename(fileOf(core.path!, 'k'))]); // no temp or lock left
    for (const file of files) expect(mode(path.join(core.path!, file))).toBe(0o600);
  });

  it.each(['../escape', '../../etc/passwd', '/abs/path', 'a\u0000b', '..', '.', '', 'a/../../b'])(
    'keeps the cache name %j inside the cache directory',
    async (name) => {
      const cacheDir = dirs.make();
      const core = createFileCore(name, { cacheDir, separateFiles });
      expect(path.dirname(core.path!)).toBe(cacheDir);
      const base = path.basename(core.path!);
      expect(base.startsWith('.') || base.includes('/') || base.includes('\u0000')).toBe(false);
      await core.write('k', name, { time: T0 });
      expect(core.sync!.get('k')?.value).toBe(name);
      expect(fs.readdirSync(cacheDir)).toEqual([path.basename(core.path!)]);
    },
  );

  it('sees another instance’s writes at once, and edits made in place', () => {
    const first = open(separateFiles).core;
    const second = createFileCore(first.name, { cacheDir: root, separateFiles });
    first.sync!.write('k', 'one', { time: T0 });
    expect(second.sync!.get('k')?.value).toBe('one');
    first.sync!.write('k', 'two', { time: T0 + 1 });
    expect(second.sync!.get('k')?.value).toBe('two');
    // Not memoir's way of writing (it only appends frames), but noticed all the same: the
    // last frame is cut short, so the file says 'one' again.
    const file = fileOf(first.path!, 'k');
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 1));
    expect(second.sync!.get('k')?.value).toBe('one');
  });

  for (const flavour of ['sync', 'async'] as const) {
    it(`${flavour}: a frame cut short (its writer killed mid-write) reads as the state before it; later frames still count`, async () => {
      const { core, events } = open(separateFiles);
      const ops = flavour === 'sync' ? core.sync! : core;
      await ops.write('k', 'one', { time: T0 });
      await ops.write('k', 'two', { time: T0 + 1 });
      const file = fileOf(core.path!, 'k');
      fs.truncateSync(file, fs.statSync(file).size - 3);

      const reader = createFileCore(core.name, { cacheDir: root, separateFiles });
      expect((await ops.get('k'))?.value).toBe('one');
      expect(reader.sync!.get('k')?.value).toBe('one');
      // Indistinguishable from a frame still being written, so nothing to report yet.
      expect(events).toEqual([]);

      await ops.write('k', 'three', { time: T0 + 2 });
      expect((await ops.get('k'))?.value).toBe('three');
      expect(reader.sync!.get('k')?.value).toBe('three');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'corrupt-entry', location: file });
    });
  }

  it('hands every caller its own copy of a value', () => {
    const { core } = open(separateFiles);
    core.sync!.write('k', { list: [1] }, { time: T0 });
    (core.sync!.get('k')!.value as { list: number[] }).list.push(2);
    expect(core.sync!.get('k')?.value).toEqual({ list: [1] });
  });

  it('refuses a value v8 cannot serialize with a MemoirError naming the cache', async () => {
    const { core } = open(separateFiles);
    const attempt = () => core.sync!.write('k', { fn: () => 1 }, { time: T0 });
    expect(attempt).toThrow(MemoirError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'SERIALIZATION_FAILED' }));
    expect(attempt).toThrow(core.name);
    await expect(core.write('k', { fn: () => 1 }, { time: T0 })).rejects.toThrow(core.name);
    expect(core.sync!.get('k')).toBeUndefined();
  });
});

describe.each(layouts)('file core ($label): bad files are reported once and read as misses', ({ separateFiles, fileOf }) => {
  const damages: Array<[string, CoreEvent['type'], (file: string) => void]> = [
    // Cut inside the frames the file was created with (its header says how long they are).
    ['a truncated file', 'corrupt-entry', (file) => fs.truncateSync(file, fs.statSync(file).size - 3)],
    ['a file cut inside its header', 'corrupt-entry', (file) => fs.truncateSync(file, 10)],
    ['a file of random bytes', 'corrupt-entry', (file) => fs.writeFileSync(file, Buffer.from(Array.from({ length: 500 }, (_, i) => (i * 7919) % 256)))],
    ['an empty file', 'corrupt-entry', (file) => fs.writeFileSync(file, '')],
    [
      'a file of another format version',
      'corrupt-entry',
      (file) => {
        const bytes = fs.readFileSync(file);
        bytes[7] = FORMAT_VERSION + 1;
        fs.writeFileSync(file, bytes);
      },
    ],
    [
      'a valid header over a body that is not v8 data',
      'corrupt-entry',
      (file) => {
        const bytes = fs.readFileSync(file);
        bytes.fill(0xff, HEADER_SIZE);
        fs.writeFileSync(file, bytes);
      },
    ],
    [
      // Root ignores chmod 000, so the unreadable file is simulated with a symlink loop there.
      isRoot ? 'an unreadable file (symlink loop: tests run as root, chmod 000 would not stop reads)' : 'an unreadable (chmod 000) file',
      'backend-error',
      (file) => {
        if (isRoot) {
          fs.rmSync(file);
          fs.symlinkSync(path.basename(file), file);
        } else {
          fs.chmodSync(file, 0o000);
        }
      },
    ],
  ];

  for (const flavour of ['sync', 'async'] as const) {
    it.each(damages)(`${flavour}: %s`, async (_label, type, damage) => {
      const { core, events } = open(separateFiles);
      const ops = flavour === 'sync' ? core.sync! : core;
      const other = keyElsewhere(core.path!, 'bad', fileOf);
      await ops.write('bad', 'lost', { time: T0 });
      await ops.write(other, 'kept', { time: T0 });
      const file = fileOf(core.path!, 'bad');
      damage(file);

      expect(await ops.get('bad')).toBeUndefined();
      expect(await ops.get('bad')).toBeUndefined();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type, location: file });
      expect(events[0].message).toContain(file);
      expect((await ops.get(other))?.value).toBe('kept');
      expect(await ops.keys()).toEqual([other]);

      // Recomputed over: the next write replaces the bad file.
      expect(await ops.write('bad', 'again', { time: T0 })).toBe(true);
      expect((await ops.get('bad'))?.value).toBe('again');
      expect((await ops.get(other))?.value).toBe('kept');
      expect(events).toHaveLength(1);
    });
  }

  it('throws the fault instead with strict: true', () => {
    const core = createFileCore(`strict-${unique++}`, { cacheDir: root, separateFiles, strict: true });
    core.sync!.write('k', 1, { time: T0 });
    fs.writeFileSync(fileOf(core.path!, 'k'), 'garbage');
    expect(() => core.sync!.get('k')).toThrow(expect.objectContaining({ code: 'CORRUPT_ENTRY' }));
  });

  it('treats an unwritable cache directory as an empty cache and reports it once', async () => {
    // Root can write into a 0500 directory, so there the directory sits under a regular file.
    const parent = dirs.make();
    let cacheDir: string;
    if (isRoot) {
      fs.writeFileSync(path.join(parent, 'a-file'), '');
      cacheDir = path.join(parent, 'a-file', 'cache');
    } else {
      fs.chmodSync(parent, 0o500);
      cacheDir = path.join(parent, 'cache');
    }
    const { core, events } = open(separateFiles, cacheDir);
    for (const ops of [core.sync!, core]) {
      expect(await ops.get('k')).toBeUndefined();
      const outcome = await ops.acquire('k', { owner: 'A', now: T0, leaseUntil: T0 + 1000 });
      expect(outcome.acquired).toBe(true); // the caller computes; nobody can share its work anyway
      // Reported as a fault, not claimed as a sizeLimit rejection; nothing is stored.
      expect(await ops.write('k', 1, { time: T0, owner: 'A' })).toBe(true);
      expect(await ops.keys()).toEqual([]);
      await ops.clear();
    }
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(new Set(events.map((event) => `${event.type} ${event.location}`)).size).toBe(events.length);
    expect(events[0].type).toBe('backend-error');
    expect(events[0].location).toContain(parent);
    if (!isRoot) fs.chmodSync(parent, 0o700);
  });
});

describe('file core: waiting for a change', () => {
  it('wakes a waiter when another instance writes the key, with one watcher for many waiters', async () => {
    const { core } = open(false);
    const writer = createFileCore(core.name, { cacheDir: root });
    await writer.write('warm-up', 0, { time: T0 }); // the directory must exist to be watched
    const before = openWatcherCount();
    const started = Date.now();
    const waits = Array.from({ length: 10 }, () => core.waitForChange!('k', 10_000));
    expect(openWatcherCount()).toBe(before + 1);
    await writer.write('k', 1, { time: T0 });
    await Promise.all(waits);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('falls back to the timer when nothing changes, and close() releases waiters idempotently', async () => {
    const { core } = open(true);
    const started = Date.now();
    await core.waitForChange!('k', 50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    const pending = core.waitForChange!('k', 60_000);
    await core.close!();
    await pending;
    await core.close!();
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('file core: the log and its compaction', () => {
  const shardOf = (core: { path?: string }, key: string) => shardedLayout(core.path!).fileFor(key);
  /** `count` keys that live in the same shard file as `key`. */
  const neighbours = (core: { path?: string }, key: string, count: number) => {
    const found: string[] = [];
    for (let i = 0; found.length < count; i++) if (shardOf(core, `n${i}`) === shardOf(core, key)) found.push(`n${i}`);
    return found;
  };

  it('a change is one frame appended to the file, not a rewrite of it', () => {
    const { core } = open(false);
    core.sync!.write('a', 'x'.repeat(1_000), { time: T0 });
    const file = shardOf(core, 'a');
    const { ino, size } = fs.statSync(file);
    const [b] = neighbours(core, 'a', 1);
    core.sync!.write(b, 'y', { time: T0 });
    expect(fs.statSync(file).ino).toBe(ino); // same file...
    expect(fs.statSync(file).size - size).toBeLessThan(200); // ...grown by one small frame
    expect(core.sync!.get('a')?.value).toBe('x'.repeat(1_000));
  });

  it('a cleanup with nothing stale leaves the files untouched', async () => {
    const { core } = open(false);
    core.sync!.write('a', 'fresh', { time: T0 });
    const file = shardOf(core, 'a');
    const { size, mtimeMs } = fs.statSync(file);
    expect(core.sync!.deleteStale(T0 - 1)).toBe(0);
    expect(await core.deleteStale(T0 - 1)).toBe(0);
    expect(fs.statSync(file)).toMatchObject({ size, mtimeMs });
    expect(core.sync!.deleteStale(T0 + 1)).toBe(1);
    expect(core.sync!.get('a')).toBeUndefined();
  });

  it('compacts a file once superseded changes outweigh its records, keeping every record', () => {
    const { core, events } = open(false);
    const keys = neighbours(core, 'a', 5);
    const file = shardOf(core, 'a');
    for (let round = 0; round < 100; round++) {
      for (const key of keys) core.sync!.write(key, { round, pad: 'p'.repeat(2_000) }, { time: T0 + round });
    }
    // 500 writes of ~2 KB went through; the file holds about five values' worth.
    expect(fs.statSync(file).size).toBeLessThan(64 * 1024 + 5 * 2_100);
    const reader = createFileCore(core.name, { cacheDir: root });
    for (const key of keys) expect(reader.sync!.get(key)?.value).toMatchObject({ round: 99 });
    expect(fs.readdirSync(core.path!)).toEqual([path.basename(file)]); // no temp or lock left
    expect(events).toEqual([]);
  });

  it('a compaction prepared from an older read keeps what was appended since', () => {
    const { core } = open(false);
    const [b] = neighbours(core, 'a', 1);
    core.sync!.write('a', 'kept', { time: T0 });
    const file = shardOf(core, 'a');
    // A second process's view of the same directory, compacting from what it read earlier.
    const layout = shardedLayout(core.path!);
    const context = storeContext(core.path!, layout, new Faults(core.name, () => {}, false));
    const earlier = runSync(load(context, file));
    core.sync!.acquire(b, { owner: 'late', now: T0, leaseUntil: T0 + 60_000 }); // lands after that read
    const { ino } = fs.statSync(file);
    runSync(compact(context, file, earlier));
    expect(fs.statSync(file).ino).not.toBe(ino); // compacted...
    const fresh = createFileCore(core.name, { cacheDir: root });
    expect(fresh.sync!.get('a')?.value).toBe('kept');
    expect(fresh.sync!.get(b)?.processing?.owner).toBe('late'); // ...with the late mark in it
  });

  it('finishes a compaction whose process died between sealing the file and replacing it', () => {
    const { core, events } = open(false);
    const [b, c] = neighbours(core, 'a', 2);
    core.sync!.write('a', 'kept', { time: T0 });
    core.sync!.write(b, 'kept too', { time: T0 });
    const file = shardOf(core, 'a');
    // What the dead compactor left: its seal at the end of the file, and its lock directory
    // (old enough to count as stale).
    const generation = fs.readFileSync(file).toString('latin1', 8, 16);
    fs.appendFileSync(file, encodeFrame(generation, { op: 'seal' }));
    const lock = `${file}.lock`;
    fs.mkdirSync(lock);
    const longAgo = new Date(Date.now() - 60_000);
    fs.utimesSync(lock, longAgo, longAgo);

    const other = createFileCore(core.name, { cacheDir: root });
    expect(other.sync!.get('a')?.value).toBe('kept'); // a sealed file still reads fine
    expect(other.sync!.write(c, 'new', { time: T0 })).toBe(true);

    const fresh = createFileCore(core.name, { cacheDir: root });
    expect(fresh.sync!.get('a')?.value).toBe('kept');
    expect(fresh.sync!.get(b)?.value).toBe('kept too');
    expect(fresh.sync!.get(c)?.value).toBe('new');
    expect(fs.existsSync(lock)).toBe(false);
    expect(events).toEqual([]);
  });

  it('a writer that met a seal finishes the compaction only if the sealed file is still in place, not a newer file with its inode number', () => {
    const { core, events } = open(false);
    core.sync!.write('a', 'old', { time: T0 });
    const file = shardOf(core, 'a');
    // Another process's view of the file: it read it, then met a compactor's seal.
    const context = storeContext(core.path!, shardedLayout(core.path!), new Faults(core.name, () => {}, false));
    runSync(load(context, file));
    const generation = fs.readFileSync(file).toString('latin1', 8, 16);
    fs.appendFileSync(file, encodeFrame(generation, { op: 'seal' }));
    const sealed = runSync(load(context, file));
    expect(sealed.sealed).toBe(true);
    // The replacement is done and the key changed since: a newer file is in place.
    createFileCore(core.name, { cacheDir: root }).sync!.write('a', 'new', { time: T0 + 1 });
    expect(fs.readFileSync(file).toString('latin1', 8, 16)).not.toBe(generation);
    // Once every process has closed the sealed file, the file system may give its inode number
    // to the next file it creates (ext4 does at once): here, the newer file got it.
    const renumbered = new FileIndex(sealed.identity, fs.statSync(file).ino, sealed.generation);
    renumbered.records = sealed.records;
    renumbered.sealed = true;
    runSync(awaitReplacement(context, file, renumbered));
    // Taken for the orphan, the newer file would have been replaced by the sealed one's records.
    expect(createFileCore(core.name, { cacheDir: root }).sync!.get('a')?.value).toBe('new');
    expect(events).toEqual([]);
  });

  it('ignores changes appended after a seal: their writers append them again to the new file', async () => {
    const { core } = open(false);
    core.sync!.write('a', 'before', { time: T0 });
    const file = shardOf(core, 'a');
    const generation = fs.readFileSync(file).toString('latin1', 8, 16);
    fs.appendFileSync(file, encodeFrame(generation, { op: 'seal' }));
    // A frame that landed after the seal (its writer will retry): it must not count.
    fs.appendFileSync(file, encodeFrame(generation, { op: 'delete', id: 'late', key: 'a' }));
    const reader = createFileCore(core.name, { cacheDir: root });
    expect(reader.sync!.get('a')?.value).toBe('before');
    await reader.write('a', 'after', { time: T0 + 1 });
    expect(createFileCore(core.name, { cacheDir: root }).sync!.get('a')?.value).toBe('after');
  });
});

describe('file core: the two layouts', () => {
  it('keep their files apart in the same directory', async () => {
    const sharded = open(false).core;
    const separate = createFileCore(sharded.name, { cacheDir: root, separateFiles: true });
    await sharded.write('k', 'sharded', { time: T0 });
    await separate.write('k', 'separate', { time: T0 });
    expect((await sharded.get('k'))?.value).toBe('sharded');
    expect((await separate.get('k'))?.value).toBe('separate');
    await separate.clear();
    expect((await sharded.get('k'))?.value).toBe('sharded');
  });
});

