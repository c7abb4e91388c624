import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Core } from '../../lib/contract';
import { type CachedOptions, cached, defaultKey } from '../../lib';
import { runCli, tempDir } from './harness';

/**
 * The CLI cases every server catalog shares (mongo, Redis, SQL): caches filled by real memoized
 * functions, the built dist/cli.js run as a child process against the same place.
 */
export interface ServerPlace {
  /** Prefix of the cache names, so that messages say which backend a failure came from. */
  prefix: string;
  /** The catalog's `layout` in `list`. */
  layout: string;
  /** The CLI flags that point at the place (`--redis URL`, `--sql URL --table T`, …). */
  flags(): string[];
  /** `cached()` options storing into the place. */
  options(): CachedOptions;
  /** What `list` says the place is (a URL, `db.collection`, `table …`). */
  location(): string;
  /** A core of the function `name` on the place, to plant marks and old entries. */
  core(name: string): Core;
  /** Entries stored for the function `name`, read without the CLI (default: the core's keys). */
  countEntries?(name: string): Promise<number>;
  /** How far `oldest` may be from the stored time (servers convert between two clocks). */
  clockSlackMs?: number;
}

export function describeServerCli(place: () => ServerPlace): void {
  async function countEntries(name: string): Promise<number> {
    const { countEntries, core } = place();
    if (countEntries) return countEntries(name);
    const reader = core(name);
    try {
      return (await reader.keys()).length;
    } finally {
      await reader.close?.();
    }
  }
  const memoir = (...args: string[]) => runCli([...args, ...place().flags()]);

  /** A memoized function on the place, with 4 entries stored. */
  async function fillArea(name: string) {
    const area = cached((w: number, h: number) => ({ area: w * h }), {
      name,
      ...place().options(),
    });
    for (let w = 1; w <= 4; w++) await area(w, 2);
    return area;
  }

  test('list, inspect, clear-being-calculated, prune and clear', async () => {
    const { prefix, layout, clockSlackMs = 0 } = place();
    const [name, other] = [`${prefix}-area`, `${prefix}-other`];
    const area = await fillArea(name);
    await fillArea(other);
    const core = place().core(name);
    const now = Date.now();
    await core.acquire('in-flight', { owner: 'worker-7', now, leaseUntil: now + 60_000 });
    await core.write(area.keyFor(1, 2), { area: 2 }, { time: now - 3 * 86_400_000 });

    const list = await memoir('list', '--json');
    expect(list.code).toBe(0);
    expect(list.json.location).toContain(place().location());
    expect(list.json.caches.map((each: { name: string }) => each.name)).toEqual([name, other]);
    const [summary] = list.json.caches;
    expect(summary).toMatchObject({ layout, entries: 5, completed: 4, deadMarks: 0 });
    expect(summary.bytes).toBeGreaterThan(0);
    expect(summary.liveMarks).toEqual([
      expect.objectContaining({ key: 'in-flight', owner: 'worker-7' }),
    ]);
    // ~60 s on the caller's clock, minus the CLI's run.
    expect(summary.liveMarks[0].leaseLeftMs).toBeGreaterThan(20_000);
    expect(summary.liveMarks[0].leaseLeftMs).toBeLessThanOrEqual(60_000 + clockSlackMs);
    expect(Math.abs(summary.oldest - (now - 3 * 86_400_000))).toBeLessThanOrEqual(clockSlackMs);
    const human = await memoir('list');
    expect(human.stdout).toMatch(new RegExp(`${name}\\s+5\\s`));
    expect(human.stdout).toContain('worker-7');

    const inspect = await memoir('inspect', name, '--args', '[2, 2]', '--json');
    expect(inspect.code).toBe(0);
    expect(inspect.json.entries).toEqual([
      expect.objectContaining({
        key: defaultKey([2, 2]),
        completed: true,
        rendered: '{ area: 4 }',
      }),
    ]);
    expect((await memoir('inspect', name, '--json')).json.total).toBe(5);

    const marks = await memoir('clear-being-calculated', name, '--json');
    expect(marks.json).toMatchObject({ cache: name, cleared: 1 });
    const pruned = await memoir('prune', name, '--older-than', '2d', '--json');
    expect(pruned.json).toMatchObject({ removed: 1 });
    expect(await area.isCached(1, 2)).toBe(false);
    expect(await area.isCached(2, 2)).toBe(true);

    const cleared = await memoir('clear', name, '--json', '--progress');
    expect(cleared.json).toMatchObject({ removed: 3 });
    expect(cleared.stderr).toMatch(
      new RegExp(`clearing ${name}: (1/1 step|3/3 entries) \\(100%\\)`),
    );
    expect(await countEntries(name)).toBe(0);
    expect(await countEntries(other)).toBe(4);
    await core.close?.();
  });

  test('precache stores values the memoized function then hits', async () => {
    const dir = tempDir(place().prefix);
    try {
      const from = path.join(dir, 'values.json');
      fs.writeFileSync(from, JSON.stringify([{ args: ['eu', 2024], value: { total: 7 } }]));
      const result = await memoir('precache', 'report', '--from', from, '--create', '--json');
      expect(result.code).toBe(0);
      expect(result.json).toMatchObject({
        cache: 'report',
        written: 1,
        keys: [defaultKey(['eu', 2024])],
      });
      const body = jest.fn(async (region: string, year: number) => ({
        total: region.length + year,
      }));
      const report = cached(body, { name: 'report', ...place().options() });
      expect(await report('eu', 2024)).toEqual({ total: 7 });
      expect(body).not.toHaveBeenCalled();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an unknown cache name fails with exit 1 and lists the known ones', async () => {
    const { prefix } = place();
    await fillArea(`${prefix}-known`);
    const result = await memoir('clear', `${prefix}-unknown`, '--json');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`No cache named "${prefix}-unknown" in .+ \\(known caches: .*${prefix}-known`),
    );
    expect(result.json.error.code).toBe('UNKNOWN_CACHE');
  });
}
