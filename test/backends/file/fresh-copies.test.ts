import { types } from 'node:util';
import { createFileCore } from '../../../backends/file';
import * as fs from 'node:fs';
import { separateFilesLayout, shardedLayout } from '../../../backends/file/layout';
import { cached } from '../../../lib/cached';
import { resetGlobalParams } from '../../../lib/config/global-params';
import type { Core } from '../../../lib/contract/core';
import { tempDirs } from '../../support/file-temp-dirs';

/**
 * Issue 12, item 1: a hit is a private copy for every value type. `v8.deserialize` returns
 * Buffers, typed arrays and DataViews as views over the bytes it is given, and the file core
 * keeps those bytes (its replayed records), so writing into a returned Buffer used to change
 * the next hit, and the next compaction wrote the change to disk.
 */
const dirs = tempDirs('memoir-fresh-');
afterAll(() => dirs.removeAll());
afterEach(() => resetGlobalParams());

const T0 = 1_700_000_000_000;
let unique = 0;

/** Every kind of binary view, with lengths that keep their bytes aligned inside v8's output. */
function binaries(): Record<string, ArrayBufferView | ArrayBuffer> {
  const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) % 256);
  return {
    buffer: Buffer.from('original'),
    uint8: bytes(16),
    uint8Clamped: new Uint8ClampedArray(bytes(16)),
    int8: new Int8Array(bytes(16).buffer),
    int16: new Int16Array(bytes(16).buffer),
    uint16: new Uint16Array(bytes(16).buffer),
    int32: new Int32Array(bytes(16).buffer),
    uint32: new Uint32Array(bytes(16).buffer),
    float32: new Float32Array([1.5, -2, 3, 4]),
    float64: new Float64Array([1.5, -2, Math.PI, 1e300]),
    bigInt64: new BigInt64Array([1n, -2n]),
    bigUint64: new BigUint64Array([1n, 2n ** 63n]),
    dataView: new DataView(bytes(16).buffer),
    arrayBuffer: bytes(16).buffer,
  };
}

/** A value holding every binary view at the top, nested in objects, arrays, Maps and Sets. */
function sample() {
  return {
    ...binaries(),
    nested: { deeper: [binaries()] },
    map: new Map<string, unknown>([['views', binaries()]]),
    set: new Set([Buffer.from('in a set')]),
  };
}

/** Overwrites every byte of every binary view reachable from `value`. */
function scribble(value: unknown, seen = new Set<unknown>()): number {
  if (value === null || typeof value !== 'object' || seen.has(value)) return 0;
  seen.add(value);
  if (ArrayBuffer.isView(value)) {
    new Uint8Array(value.buffer, value.byteOffset, value.byteLength).fill(0xee);
    return 1;
  }
  if (types.isArrayBuffer(value)) {
    new Uint8Array(value).fill(0xee);
    return 1;
  }
  // Values come from v8.deserialize, in the main realm: not `instanceof` inside Jest's sandbox.
  const children = types.isMap(value) ? [...value.values()] : types.isSet(value) ? [...value] : Object.values(value);
  return children.reduce<number>((sum, child) => sum + scribble(child, seen), 0);
}

/** Appends frames that leave `key`'s value alone until the core compacts its file. */
function compactAround(core: Core, key: string, separateFiles: boolean): void {
  if (separateFiles) {
    // The key's file holds only that key: marks taken and dropped grow its log.
    for (let i = 0; i < 800; i++) {
      core.sync!.acquire(key, { owner: `o${i}`, now: T0, leaseUntil: T0 + 1 });
      core.sync!.release(key, `o${i}`);
    }
    return;
  }
  const layout = shardedLayout(core.path!);
  const neighbours: string[] = [];
  for (let i = 0; neighbours.length < 3; i++) {
    if (layout.fileFor(`n${i}`) === layout.fileFor(key)) neighbours.push(`n${i}`);
  }
  for (let round = 0; round < 60; round++) {
    for (const other of neighbours) core.sync!.write(other, 'p'.repeat(2_000), { time: T0 + round });
  }
}

describe.each([
  { layout: 'sharded', separateFiles: false },
  { layout: 'separate files', separateFiles: true },
])('file core ($layout): writing into a returned value never reaches the cache', ({ separateFiles }) => {
  const open = (name = `fresh-${unique++}`, cacheDir = dirs.make()) =>
    createFileCore(name, { cacheDir, separateFiles, report: () => {} });

  it('sync hits: each binary view, top-level or nested, is a copy', () => {
    const core = open();
    core.sync!.write('k', sample(), { time: T0 });
    expect(scribble(core.sync!.get('k')!.value)).toBe(14 * 3 + 1);
    expect(core.sync!.get('k')!.value).toEqual(sample());
  });

  it('async hits: each binary view, top-level or nested, is a copy', async () => {
    const core = open();
    await core.write('k', sample(), { time: T0 });
    expect(scribble((await core.get('k'))!.value)).toBe(14 * 3 + 1);
    expect((await core.get('k'))!.value).toEqual(sample());
    // The sync path of the same core, and an acquire's view of the entry, too.
    scribble(core.sync!.get('k')!.value);
    const outcome = await core.acquire('k', { owner: 'x', now: T0, leaseUntil: T0 + 1 });
    scribble(outcome.entry?.value);
    expect((await core.get('k'))!.value).toEqual(sample());
  });

  it('a compaction after a caller wrote into a hit stores the original bytes', () => {
    const cacheDir = dirs.make();
    const core = open(`fresh-compact-${unique++}`, cacheDir);
    core.sync!.write('k', sample(), { time: T0 });
    scribble(core.sync!.get('k')!.value);
    const file = (separateFiles ? separateFilesLayout : shardedLayout)(core.path!).fileFor('k');
    // Each file memoir writes gets a new generation (header bytes 8-15); inodes get reused.
    const generation = () => fs.readFileSync(file).toString('hex', 8, 16);
    const first = generation();
    compactAround(core, 'k', separateFiles);
    expect(generation()).not.toBe(first); // the file was rewritten from memory
    expect(core.sync!.get('k')!.value).toEqual(sample());
    // A core that has never read the directory sees what is on disk.
    const fresh = createFileCore(core.name, { cacheDir, separateFiles });
    expect(fresh.sync!.get('k')!.value).toEqual(sample());
  });

  it.each([
    { flavour: 'sync', fn: () => Buffer.from('original') },
    { flavour: 'async', fn: async () => Buffer.from('original') },
  ])('cached(): the issue’s case, a $flavour function returning a Buffer', async ({ fn }) => {
    const f = cached(fn, { name: `poison-${unique++}`, backend: 'file', cacheDir: dirs.make(), separateFiles });
    (await f()).write('POISONED');
    (await f()).write('POISONED');
    expect((await f()).toString()).toBe('original');
  });
});
