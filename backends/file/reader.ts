import * as fs from 'node:fs';
import { type Faults, isFsError } from './faults';
import { type FileKind, HEADER_SIZE, readHeader } from './format';
import { replayFrames } from './log';
import { emptySnapshot, NO_FILE, type Snapshot, type SnapshotCache } from './snapshots';

/**
 * Reads files into snapshots, replaying only what was appended since the last read.
 *
 * Revalidation is one 24-byte header read plus an fstat (about 8 µs here): same generation
 * and same size means nothing changed; a larger size means frames were appended, and only
 * those are read. The async path does this probe synchronously too, and reads small tails
 * synchronously: these are page-cache reads of a few µs, while one promise-based read round
 * trip through the thread pool costs about 190 µs, so a hit could never meet its 30 µs budget
 * otherwise. Tails above ASYNC_READ_BYTES (large values) are read asynchronously.
 */
const ASYNC_READ_BYTES = 64 * 1024;

/** A snapshot brought up to date, and the result of the frame that was asked for. */
export interface CaughtUp {
  snapshot: Snapshot;
  found?: { result: unknown };
}

export type Inspection =
  | { usable: true; stat: fs.Stats; identity: string; generation: string }
  | { usable: false; stat: fs.Stats; identity: string; problem: string };

type Plan =
  | { kind: 'current'; snapshot: Snapshot }
  | { kind: 'unusable'; identity: string; problem: string }
  | {
      kind: 'replay';
      identity: string;
      generation: string;
      base?: Snapshot;
      from: number;
      to: number;
      mtimeMs: number;
    };

export class FileReader {
  private readonly header = Buffer.alloc(HEADER_SIZE);

  constructor(
    private readonly kind: FileKind,
    private readonly faults: Faults,
    private readonly snapshots: SnapshotCache,
  ) {}

  loadSync(file: string): Snapshot {
    const fd = this.open(file);
    if (typeof fd !== 'number') return fd;
    try {
      return this.catchUpSync(file, fd).snapshot;
    } catch (error) {
      return this.unreadable(file, error);
    } finally {
      fs.closeSync(fd);
    }
  }

  async loadAsync(file: string): Promise<Snapshot> {
    const fd = this.open(file);
    if (typeof fd !== 'number') return fd;
    try {
      return (await this.catchUpAsync(file, fd)).snapshot;
    } catch (error) {
      return this.unreadable(file, error);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The file open for reading, or the snapshot that stands for it when it cannot be opened. */
  private open(file: string): number | Snapshot {
    try {
      return fs.openSync(file, 'r');
    } catch (error) {
      return this.unopenable(file, error);
    }
  }

  /** Replays what `fd` (open on `file`) holds beyond the known snapshot. Throws fs errors. */
  catchUpSync(file: string, fd: number, want?: string): CaughtUp {
    const plan = this.plan(file, fd);
    if (plan.kind !== 'replay') return { snapshot: this.settle(file, plan) };
    return this.replay(file, plan, readRangeSync(fd, plan.from, plan.to), want);
  }

  async catchUpAsync(file: string, fd: number, want?: string): Promise<CaughtUp> {
    const plan = this.plan(file, fd);
    if (plan.kind !== 'replay') return { snapshot: this.settle(file, plan) };
    const bytes =
      plan.to - plan.from > ASYNC_READ_BYTES
        ? await readRangeAsync(fd, plan.from, plan.to)
        : readRangeSync(fd, plan.from, plan.to);
    return this.replay(file, plan, bytes, want);
  }

  /**
   * What the open file is: a usable one (its generation) or not (why: a bad header, or shorter
   * than the frames it was created with), with the identity its snapshots are tagged with.
   */
  inspect(fd: number): Inspection {
    const n = fs.readSync(fd, this.header, 0, HEADER_SIZE, 0);
    const stat = fs.fstatSync(fd);
    const header = readHeader(this.header, n, this.kind);
    if (!header.ok) return { usable: false, stat, identity: unusableIdentity(stat), problem: header.problem };
    if (stat.size < HEADER_SIZE + header.baseLength) {
      const problem = `truncated: ${stat.size - HEADER_SIZE} bytes after the header, which says at least ${header.baseLength}`;
      return { usable: false, stat, identity: unusableIdentity(stat), problem };
    }
    return { usable: true, stat, identity: `g:${header.generation}`, generation: header.generation };
  }

  /** What to read: nothing (the snapshot is current), the appended tail, or the whole file. */
  private plan(file: string, fd: number): Plan {
    const inspection = this.inspect(fd);
    if (!inspection.usable) return { kind: 'unusable', identity: inspection.identity, problem: inspection.problem };
    const { stat, identity, generation } = inspection;
    const known = this.snapshots.get(file);
    // The hit path: same file, nothing appended since the last replay.
    if (known?.identity === identity && (known.sealed || (stat.size === known.offset && stat.mtimeMs === known.mtimeMs))) {
      return { kind: 'current', snapshot: known };
    }
    const replay = { kind: 'replay', identity, generation, to: stat.size, mtimeMs: stat.mtimeMs } as const;
    if (known?.identity === identity && stat.size > known.offset) return { ...replay, base: known, from: known.offset };
    // A new file, or one edited in place by something other than memoir: replay it all.
    return { ...replay, from: HEADER_SIZE };
  }

  private settle(file: string, plan: Exclude<Plan, { kind: 'replay' }>): Snapshot {
    if (plan.kind === 'current') return plan.snapshot;
    this.faults.corrupt(file, plan.problem);
    const snapshot = { ...emptySnapshot(plan.identity), damaged: true };
    this.snapshots.set(file, snapshot);
    return snapshot;
  }

  private replay(file: string, plan: Extract<Plan, { kind: 'replay' }>, bytes: Buffer, want?: string): CaughtUp {
    const { base } = plan;
    const records = base ? new Map(base.records) : new Map();
    const replay = replayFrames(bytes, plan.from, plan.generation, records, base?.sealed ?? false, want);
    const snapshot: Snapshot = {
      identity: plan.identity,
      records,
      offset: replay.offset,
      mtimeMs: plan.mtimeMs,
      sealed: replay.sealed,
      damaged: (base?.damaged ?? false) || replay.problem !== undefined,
    };
    if (replay.problem !== undefined) this.faults.corrupt(file, replay.problem);
    else if (!snapshot.damaged) this.faults.cleared(file);
    this.snapshots.set(file, snapshot);
    return { snapshot, found: replay.found };
  }

  private unopenable(file: string, error: unknown): Snapshot {
    if (isFsError(error) && error.code === 'ENOENT') {
      const known = this.snapshots.get(file);
      if (known?.identity === NO_FILE) return known;
      const snapshot = emptySnapshot();
      this.snapshots.set(file, snapshot);
      return snapshot;
    }
    return this.unreadable(file, error);
  }

  private unreadable(file: string, error: unknown): Snapshot {
    if (!isFsError(error)) throw error;
    this.faults.io(file, 'read', error);
    // Not kept: the next call tries again, and the fault is only reported once.
    return emptySnapshot(`e:${error.code}`);
  }
}

/** How an unusable file is told apart from its next state: inode, size and mtime. */
function unusableIdentity(stat: fs.Stats): string {
  return `x:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
}

function readRangeSync(fd: number, from: number, to: number): Buffer {
  const bytes = Buffer.allocUnsafe(to - from);
  let read = 0;
  while (read < bytes.length) {
    const n = fs.readSync(fd, bytes, read, bytes.length - read, from + read);
    if (n === 0) break;
    read += n;
  }
  return bytes.subarray(0, read);
}

async function readRangeAsync(fd: number, from: number, to: number): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(to - from);
  let read = 0;
  while (read < bytes.length) {
    const { bytesRead } = await new Promise<{ bytesRead: number }>((resolve, reject) =>
      fs.read(fd, bytes, read, bytes.length - read, from + read, (error, bytesRead) =>
        error ? reject(error) : resolve({ bytesRead }),
      ),
    );
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return bytes.subarray(0, read);
}
