import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createFileCore } from '../../backends/file';
import { cached, defaultKey } from '../../lib';
import { ensureBuiltCli, runCli, tempDir } from './harness';

/**
 * The `memoir` CLI end to end against file caches: each test fills a fresh cache directory
 * through real memoized functions (and the file core, for marks and old entries), runs the
 * built dist/cli.js as a child process, and checks its output, exit code and the cache after.
 */
jest.setTimeout(30_000);

beforeAll(ensureBuiltCli, 60_000);

let cacheDir: string;
let runs = 0;
/** Cache names are unique per test: the default manager remembers every memoized function. */
const unique = (name: string) => `${name}-${++runs}`;

beforeEach(() => {
  cacheDir = tempDir('file');
});
afterEach(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

const memoir = (...args: string[]) => runCli([...args, '--cache-dir', cacheDir]);

function fillArea(name: string) {
  const area = cached((w: number, h: number) => ({ area: w * h }), {
    name,
    backend: 'file',
    cacheDir,
  });
  for (let w = 1; w <= 5; w++) area(w, 2);
  return area;
}

describe('help and usage errors', () => {
  test('--help lists every command and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const command of [
      'list',
      'inspect',
      'clear',
      'clear-being-calculated',
      'prune',
      'precache',
    ]) {
      expect(result.stdout).toContain(command);
    }
    expect(result.stdout).toContain('Exit codes');
  });

  test('per-command help names its options', async () => {
    const prune = await runCli(['prune', '--help']);
    expect(prune.code).toBe(0);
    expect(prune.stdout).toContain('Usage: memoir prune NAME --older-than DURATION');
    const help = await runCli(['help', 'precache']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--from FILE');
  });

  test('a wrong command line is a usage error (exit 2) that says what is wrong', async () => {
    const cases: Array<[string[], string]> = [
      [[], 'Usage: memoir <command>'],
      [['frobnicate'], 'unknown command "frobnicate"'],
      [['help', 'bogus'], 'unknown command "bogus"'],
      [['list', '--bogus'], "unknown option --bogus for list"],
      [['inspect'], 'inspect needs NAME'],
      [['clear', 'a', 'b'], 'unexpected argument "b"'],
      [['prune', 'x'], 'prune needs --older-than'],
      [['prune', 'x', '--older-than', 'soon'], '--older-than must be a duration'],
      [['precache', 'x'], 'precache needs --from'],
      [['inspect', 'x', '--limit=-3'], '--limit must be a whole number'],
      [['inspect', 'x', '--args', '{'], '--args is not valid JSON'],
      [['list', '--collection', 'c'], '--collection only applies with --mongo-uri'],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((result, i) => {
      expect({ args: cases[i][0], code: result.code, stdout: result.stdout }).toEqual({
        args: cases[i][0],
        code: 2,
        stdout: '',
      });
      expect(result.stderr).toContain(cases[i][1]);
    });
  });
});

describe('list', () => {
  test('shows every cache with entries, bytes, marks and age; --json has the same', async () => {
    const name = unique('area');
    fillArea(name);
    const odd = unique('odd:name');
    const big = cached((n: number) => 'x'.repeat(n), {
      name: odd,
      backend: 'file',
      cacheDir,
      separateFiles: true,
    });
    big(2000);
    // A calculation in flight, as another process would leave it: a live mark on a key.
    const core = createFileCore(name, { cacheDir });
    const now = Date.now();
    await core.acquire('in-flight', { owner: 'host-1:4242:abc', now, leaseUntil: now + 60_000 });
    // Something else in the directory (a manager's saved caches) is not a function cache.
    fs.mkdirSync(path.join(cacheDir, 'default'));
    fs.writeFileSync(path.join(cacheDir, 'default', 'raw'), 'not ours');

    const human = await memoir('list');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`${name}\\s+6\\s+[\\d.]+ (B|KB)\\s+1\\s`));
    expect(human.stdout).toContain('Being calculated now:');
    expect(human.stdout).toContain('host-1:4242:abc');
    expect(human.stdout).not.toMatch(/^default\b/m);

    const { code, json } = await memoir('list', '--json');
    expect(code).toBe(0);
    expect(json.location).toBe(path.resolve(cacheDir));
    const area = json.caches.find((each: { name: string }) => each.name === name);
    expect(area).toMatchObject({
      layout: 'sharded',
      entries: 6,
      completed: 5,
      deadMarks: 0,
      unreadable: 0,
    });
    expect(area.bytes).toBe(
      fs
        .readdirSync(path.join(cacheDir, name))
        .reduce((sum, file) => sum + fs.statSync(path.join(cacheDir, name, file)).size, 0),
    );
    expect(area.liveMarks).toEqual([
      expect.objectContaining({
        key: 'in-flight',
        owner: 'host-1:4242:abc',
        leaseUntil: now + 60_000,
      }),
    ]);
    expect(area.liveMarks[0].leaseLeftMs).toBeGreaterThan(30_000);
    expect(area.oldest).toBeLessThanOrEqual(area.newest);
    expect(area.newest).toBeLessThanOrEqual(Date.now());
    // A name that had to be sanitized on disk is listed by its directory name, which works too.
    const sanitized = json.caches.find(
      (each: { layout: string }) => each.layout === 'separate-files',
    );
    expect(sanitized).toMatchObject({ entries: 1, completed: 1 });
    expect(sanitized.name).toMatch(/^odd_name-\d+~[0-9a-f]{10}$/);
    expect(json.caches.map((each: { name: string }) => each.name)).not.toContain('default');
    expect((await memoir('inspect', sanitized.name, '--json')).json.total).toBe(1);
  });

  test('an empty or missing directory lists nothing', async () => {
    const result = await runCli(['list', '--json', '--cache-dir', path.join(cacheDir, 'missing')]);
    expect(result.code).toBe(0);
    expect(result.json.caches).toEqual([]);
    expect((await memoir('list')).stdout).toContain('No caches in');
  });

  test('MEMOIR_CACHE_DIR is the default directory', async () => {
    const name = unique('from-env');
    fillArea(name);
    const result = await runCli(['list', '--json'], { env: { MEMOIR_CACHE_DIR: cacheDir } });
    expect(result.json.caches.map((each: { name: string }) => each.name)).toEqual([name]);
  });
});

describe('inspect', () => {
  test('shows entries with age, size and value summaries', async () => {
    const name = unique('area');
    fillArea(name);
    const human = await memoir('inspect', name);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`Cache ${name}: 5 entries`);
    expect(human.stdout).toContain('object { area: 10 }');

    const { json } = await memoir('inspect', name, '--json');
    expect(json).toMatchObject({ cache: name, total: 5, shown: 5 });
    const entry = json.entries.find((each: { key: string }) => each.key === defaultKey([3, 2]));
    expect(entry).toMatchObject({
      completed: true,
      summary: 'object { area: 6 }',
      processing: null,
    });
    expect(entry.size).toBeGreaterThan(0);
    expect(entry.ageMs).toBeGreaterThanOrEqual(0);
  });

  test('--key and --args pick one entry and render its whole value', async () => {
    const name = unique('area');
    const area = fillArea(name);
    const byKey = await memoir('inspect', name, '--key', area.keyFor(4, 2), '--json');
    expect(byKey.json.entries).toHaveLength(1);
    expect(byKey.json.entries[0].rendered).toBe('{ area: 8 }');
    const byArgs = await memoir('inspect', name, '--args', '[4, 2]');
    expect(byArgs.code).toBe(0);
    expect(byArgs.stdout).toContain(`key ${area.keyFor(4, 2)}`);
    expect(byArgs.stdout).toContain('{ area: 8 }');
  });

  test('--limit bounds the listing', async () => {
    const name = unique('area');
    fillArea(name);
    const { json } = await memoir('inspect', name, '--limit', '2', '--json');
    expect(json).toMatchObject({ total: 5, shown: 2 });
  });

  test('an unknown cache or key fails with exit 1 and says which caches exist', async () => {
    const name = unique('area');
    fillArea(name);
    const unknown = await memoir('inspect', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      `No cache named "nope" in ${path.resolve(cacheDir)} (known caches: ${name})`,
    );
    const json = await memoir('inspect', 'nope', '--json');
    expect(json.json.error).toMatchObject({ code: 'UNKNOWN_CACHE' });
    const key = await memoir('inspect', name, '--args', '[9, 9]');
    expect(key.code).toBe(1);
    expect(key.stderr).toContain('has no entry with key');
  });
});

describe('clear, clear-being-calculated, prune', () => {
  test('clear removes every entry; the function recomputes afterwards', async () => {
    const name = unique('area');
    const area = fillArea(name);
    const result = await memoir('clear', name, '--json');
    expect(result.code).toBe(0);
    expect(result.json).toEqual({ cache: name, location: path.resolve(cacheDir), removed: 5 });
    expect(await area.isCached(1, 2)).toBe(false);
    expect((await memoir('clear', name)).stdout).toContain(`Cleared ${name}: removed 0 entries.`);
    expect((await memoir('clear', 'nope')).code).toBe(1);
  });

  test('--progress reports every data file on stderr (a TTY gets it without the flag)', async () => {
    const name = unique('many');
    const square = cached((n: number) => n * n, { name, backend: 'file', cacheDir });
    for (let n = 0; n < 100; n++) square(n);
    const files = fs.readdirSync(path.join(cacheDir, name)).length;
    const result = await memoir('clear', name, '--progress', '--json');
    expect(result.json.removed).toBe(100);
    expect(result.stderr).toContain(`clearing ${name}: ${files}/${files} files (100%)`);
    const quiet = await memoir('prune', name, '--older-than', '1d');
    expect(quiet.stderr).toBe('');
  });

  test('clear-being-calculated drops marks and keeps values', async () => {
    const name = unique('area');
    const area = fillArea(name);
    const core = createFileCore(name, { cacheDir });
    const now = Date.now();
    await core.acquire(area.keyFor(1, 2), { owner: 'crashed', now, leaseUntil: now + 60_000 });
    await core.acquire('placeholder', { owner: 'crashed', now, leaseUntil: now + 60_000 });
    const result = await memoir('clear-being-calculated', name, '--json');
    expect(result.code).toBe(0);
    expect(result.json).toMatchObject({ cache: name, cleared: 2 });
    const after = (await memoir('list', '--json')).json.caches[0];
    expect(after).toMatchObject({ entries: 5, completed: 5, liveMarks: [] });
    expect(await area.peek(1, 2)).toEqual({ area: 2 });
  });

  test('prune removes only entries older than the given age', async () => {
    const name = unique('area');
    const area = fillArea(name);
    const core = createFileCore(name, { cacheDir });
    const twoDaysAgo = Date.now() - 2 * 86_400_000;
    await core.write(area.keyFor(1, 2), { area: 2 }, { time: twoDaysAgo });
    await core.write(area.keyFor(2, 2), { area: 4 }, { time: twoDaysAgo });
    const result = await memoir('prune', name, '--older-than', '1d', '--json');
    expect(result.code).toBe(0);
    expect(result.json).toMatchObject({ cache: name, olderThanMs: 86_400_000, removed: 2 });
    expect(await area.isCached(1, 2)).toBe(false);
    expect(await area.isCached(3, 2)).toBe(true);
    const human = await memoir('prune', name, '--older-than', '1h');
    expect(human.stdout).toBe(`Pruned ${name}: removed 0 entries older than 1h.\n`);
  });
});

describe('precache', () => {
  function valuesFile(items: unknown): string {
    const file = path.join(cacheDir, '..', `${path.basename(cacheDir)}-values.json`);
    fs.writeFileSync(file, JSON.stringify(items));
    return file;
  }

  test.each([
    ['sharded', []],
    ['separate-files', ['--separate-files']],
  ])('a precached value is a hit for the memoized function (%s)', async (layout, flags) => {
    const name = unique('sum');
    const from = valuesFile([
      { args: [2, 3], value: 99 },
      { args: [{ b: 1, a: [1, 'x'] }], value: { deep: ['value'] } },
      { args: ['text'], value: 'cached text' },
    ]);
    const result = await memoir('precache', name, '--from', from, '--create', '--json', ...flags);
    expect(result.code).toBe(0);
    expect(result.json).toMatchObject({ cache: name, written: 3 });
    expect(result.json.keys[0]).toBe(defaultKey([2, 3]));

    const body = jest.fn((...args: unknown[]) => `computed ${JSON.stringify(args)}`);
    const fn = cached(body, {
      name,
      backend: 'file',
      cacheDir,
      separateFiles: layout === 'separate-files',
    }) as unknown as (...args: unknown[]) => unknown;
    expect(fn(2, 3)).toBe(99);
    // Object key order does not matter to the key, exactly as for a call.
    expect(fn({ a: [1, 'x'], b: 1 })).toEqual({ deep: ['value'] });
    expect(fn('text')).toBe('cached text');
    expect(body).not.toHaveBeenCalled();
    expect(fn(3, 3)).toBe('computed [3,3]');
    expect(body).toHaveBeenCalledTimes(1);
    const listed = (await memoir('list', '--json')).json.caches;
    expect(listed).toEqual([expect.objectContaining({ name, layout, entries: 4 })]);
  });

  test('an existing cache keeps its layout; asking for another one fails', async () => {
    const name = unique('area');
    fillArea(name);
    const from = valuesFile([{ args: [9, 9], value: { area: 81 } }]);
    const result = await memoir('precache', name, '--from', from, '--separate-files');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('already uses the sharded layout');
  });

  test('a cache that does not exist yet is created only with --create (a typo is not a new cache)', async () => {
    const name = unique('area');
    fillArea(name);
    const from = valuesFile([{ args: [9, 9], value: { area: 81 } }]);
    const typo = await memoir('precache', `${name}x`, '--from', from);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('--create');
    expect(typo.stderr).toContain(name);
    expect((await memoir('precache', `${name}x`, '--from', from, '--create')).code).toBe(0);
    // Refused as inspect and clear refuse an unknown cache: UNKNOWN_CACHE, one line.
    const unknown = await memoir('precache', `${name}y`, '--from', from, '--json');
    expect(unknown.code).toBe(1);
    expect(unknown.json.error.code).toBe('UNKNOWN_CACHE');
  });

  test('precache takes a cache by its own name or by the name list shows, as the other commands do', async () => {
    const name = `${unique('odd')}:name`; // a ':' has to be sanitized on disk
    fillArea(name);
    const from = valuesFile([{ args: [2, 5], value: { area: 10 } }]);
    expect((await memoir('precache', name, '--from', from)).code).toBe(0);
    const listed = (await memoir('list', '--json')).json.caches.find((each: { name: string }) => each.name.startsWith(name.replace(':', '_')));
    expect(listed.name).not.toBe(name);
    expect((await memoir('precache', listed.name, '--from', from)).code).toBe(0);
    expect((await memoir('inspect', name, '--json')).json.total).toBe(6); // fillArea's five and the one precached
  });

  test('list, inspect and precache report progress on stderr with --progress', async () => {
    const name = unique('area');
    fillArea(name);
    const listed = await memoir('list', '--progress');
    expect(listed.code).toBe(0);
    expect(listed.stderr).toMatch(/reading caches: (\d+)\/\1 files \(100%\)/);
    const inspected = await memoir('inspect', name, '--progress');
    expect(inspected.stderr).toMatch(new RegExp(`reading ${name}: (\\d+)/\\1 files \\(100%\\)`));
    const from = valuesFile([{ args: [7, 7], value: { area: 49 } }, { args: [8, 8], value: { area: 64 } }]);
    const precached = await memoir('precache', name, '--from', from, '--progress');
    expect(precached.stderr).toContain(`precaching into ${name}: 2/2 entries (100%)`);
  });

  test('an unknown flag gets memoir\'s own message, naming the known ones', async () => {
    const result = await memoir('list', '--bogus');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown option --bogus for list');
    expect(result.stderr).toContain('--cache-dir');
  });

  test('a missing or malformed values file fails with exit 1', async () => {
    const missing = await memoir('precache', 'x', '--from', path.join(cacheDir, 'none.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Cannot read');
    const notJson = path.join(cacheDir, 'bad.json');
    fs.writeFileSync(notJson, '{ nope');
    expect((await memoir('precache', 'x', '--from', notJson)).stderr).toContain(
      'is not valid JSON',
    );
    const wrongShape = await memoir('precache', 'x', '--from', valuesFile([{ args: 1, value: 2 }]));
    expect(wrongShape.code).toBe(1);
    expect(wrongShape.stderr).toContain('item 0: expected { "args": [...], "value": ... }');
  });
});

describe('what memoir did not write (issue 12, items 11 to 13)', () => {
  /** The four kinds of stray the issue names, dropped into a cache's directory. */
  function addStrays(dir: string): string[] {
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'my notes');
    execFileSync('mkfifo', [path.join(dir, 'shard-63.bin')]); // a FIFO named like a data file
    fs.symlinkSync('/etc/hostname', path.join(dir, 'link'));
    fs.mkdirSync(path.join(dir, `${'a'.repeat(40)}.entry`)); // a directory named like one
    return ['notes.txt', 'shard-63.bin', 'link', `${'a'.repeat(40)}.entry`];
  }

  test('a stray file, FIFO, symlink or directory never hides a cache: it is reported and left alone', async () => {
    const name = unique('area');
    const area = fillArea(name);
    const dir = path.join(cacheDir, name);
    const strays = addStrays(dir);

    const human = await memoir('list');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^${name}\\s+5\\s`, 'm'));
    expect(human.stdout).toContain(`${name}: 4 entries memoir did not write, left alone: `);
    for (const stray of ['link (symbolic link)', 'notes.txt (file)', 'shard-63.bin (FIFO)', '.entry (directory)']) {
      expect(human.stdout).toContain(stray);
    }
    const listed = (await memoir('list', '--json')).json.caches;
    expect(listed).toEqual([expect.objectContaining({ name, entries: 5 })]);
    expect(listed[0].strays).toEqual([
      { name: `${'a'.repeat(40)}.entry`, type: 'directory' },
      { name: 'link', type: 'symbolic link' },
      { name: 'notes.txt', type: 'file' },
      { name: 'shard-63.bin', type: 'FIFO' },
    ]);

    const inspect = await memoir('inspect', name, '--json');
    expect(inspect.code).toBe(0);
    expect(inspect.json.total).toBe(5);
    expect(inspect.stderr).toContain('that memoir did not write, left alone: ');
    const marks = await memoir('clear-being-calculated', name, '--json');
    expect(marks.code).toBe(0);
    expect(marks.stderr).toContain('notes.txt (file)');
    const prune = await memoir('prune', name, '--older-than', '1d', '--json');
    expect(prune).toMatchObject({ code: 0, json: { removed: 0 } });
    const clear = await memoir('clear', name, '--json');
    expect(clear).toMatchObject({ code: 0, json: { removed: 5 } });
    expect(await area.isCached(1, 2)).toBe(false);
    // Emptied, with only the strays left: still the cache when named.
    expect((await memoir('clear', name)).code).toBe(0);
    expect((await memoir('prune', name, '--older-than', '0')).code).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual([...strays].sort());
    expect(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('my notes');
  });

  test('--cache-dir pointing at a file is a clear failure, with no stack trace in the JSON', async () => {
    const file = path.join(cacheDir, 'a-file');
    fs.writeFileSync(file, 'not a directory');
    for (const command of [['list'], ['clear', 'x'], ['inspect', 'x'], ['prune', 'x', '--older-than', '1d']]) {
      const result = await runCli([...command, '--json', '--cache-dir', file]);
      expect(result.code).toBe(1);
      expect(result.json.error.message).toBe(`Cannot use ${file} as a cache directory: it is not a directory.`);
      expect(result.json.error.message).not.toMatch(/\n\s+at /);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  test('--older-than 0 is a valid age: every completed entry goes', async () => {
    const name = unique('area');
    const area = fillArea(name);
    const zero = await memoir('prune', name, '--older-than', '0', '--json');
    expect(zero).toMatchObject({ code: 0, json: { olderThanMs: 0, removed: 5 } });
    expect(await area.isCached(1, 2)).toBe(false);
    expect((await memoir('prune', name, '--older-than', '0ms')).code).toBe(0);
    // A bare number other than 0 has no unit to go by.
    const bare = await memoir('prune', name, '--older-than', '5');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('--older-than must be a duration');
  });

  test('prune removes temporary files and locks of killed writers older than the stale-lock time', async () => {
    const name = unique('area');
    const core = createFileCore(name, { cacheDir });
    await core.write('k', 1, { time: Date.now() });
    await core.close!(); // its own sweep (after the first write) is over
    const dir = path.join(cacheDir, name);
    const old = path.join(dir, '.shard-02.bin.4242.abcdefabcdef.tmp');
    const young = path.join(dir, '.shard-03.bin.4242.abcdefabcdef.tmp');
    const lock = path.join(dir, 'shard-04.bin.lock');
    fs.writeFileSync(old, 'partial');
    fs.writeFileSync(young, 'partial');
    fs.mkdirSync(lock);
    const longAgo = new Date(Date.now() - 60_000);
    fs.utimesSync(old, longAgo, longAgo);
    fs.utimesSync(lock, longAgo, longAgo);
    // Young for a minute to come: the two CLI runs below may take seconds on a loaded machine.
    const soon = new Date(Date.now() + 60_000);
    fs.utimesSync(young, soon, soon);
    // Memoir's own leftovers are not strays.
    expect((await memoir('list', '--json')).json.caches[0].strays).toEqual([]);

    const result = await memoir('prune', name, '--older-than', '1d', '--json');
    expect(result).toMatchObject({ code: 0, json: { removed: 0, leftovers: 2 } });
    expect(fs.existsSync(old)).toBe(false);
    expect(fs.existsSync(lock)).toBe(false);
    expect(fs.existsSync(young)).toBe(true);
    const human = await memoir('prune', name, '--older-than', '1d');
    expect(human.stdout).toBe(`Pruned ${name}: removed 0 entries older than 1d.\n`);
  });
});
