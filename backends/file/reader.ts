import * as fs from 'node:fs';
import { type Faults, isFsError } from './faults';
import { decodeBody, type FileKind, HEADER_SIZE, type HeaderReading, readHeader } from './format';
import { emptySnapshot, NO_FILE, type Snapshot, type SnapshotCache } from './snapshots';

/**
 * Reads files into snapshots, re-reading only files that changed.
 *
 * Revalidation is one 24-byte header read plus an fstat (about 8 µs here), compared to
 * the generation of the snapshot in hand. The async path does this probe synchronously too:
 * it is a fixed-size metadata-like read from the page cache, while a single promise-based
 * readFile round trip through the thread pool costs about 190 µs, so a hit could never meet
 * its 30 µs budget otherwise. Whole files are only ever read asynchronously on that path.
 */
export class FileReader {
  private readonly header = Buffer.alloc(HEADER_SIZE);

  constructor(
    private readonly kind: FileKind,
    private readonly faults: Faults,
    private readonly snapshots: SnapshotCache,
  ) {}

  /** The identity of the file as it is on disk now (see Snapshot). Used under the lock. */
  identitySync(file: string): string {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (error) {
      return isFsError(error) && error.code === 'ENOENT' ? NO_FILE : `e:${codeOf(error)}`;
    }
    try {
      return this.probe(fd).identity;
    } catch (error) {
      return `e:${codeOf(error)}`;
    } finally {
      fs.closeSync(fd);
    }
  }

  loadSync(file: string): Snapshot {
    const known = this.snapshots.get(file);
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (error) {
      return this.unopenable(file, error, known);
    }
    try {
      const { identity } = this.probe(fd);
      if (known?.identity === identity) return known;
      const size = fs.fstatSync(fd).size;
      const bytes = Buffer.allocUnsafe(size);
      let read = 0;
      while (read < size) {
        const n = fs.readSync(fd, bytes, read, size - read, read);
        if (n === 0) break;
        read += n;
      }
      return this.install(file, identity, bytes.subarray(0, read));
    } catch (error) {
      return this.unreadable(file, error);
    } finally {
      fs.closeSync(fd);
    }
  }

  async loadAsync(file: string): Promise<Snapshot> {
    const known = this.snapshots.get(file);
    if (known) {
      // Fast path: a synchronous header probe (see the class comment).
      let fd: number | undefined;
      try {
        fd = fs.openSync(file, 'r');
        if (this.probe(fd).identity === known.identity) return known;
      } catch {
        // Fall through to the full read, which classifies the problem.
      } finally {
        if (fd !== undefined) fs.closeSync(fd);
      }
    }
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(file, 'r');
    } catch (error) {
      return this.unopenable(file, error, this.snapshots.get(file));
    }
    try {
      const bytes = await handle.readFile();
      const parsed = readHeader(bytes, bytes.length, this.kind);
      const identity = identityOf(parsed, await handle.stat());
      const current = this.snapshots.get(file);
      if (current?.identity === identity) return current;
      return this.install(file, identity, bytes);
    } catch (error) {
      return this.unreadable(file, error);
    } finally {
      await handle.close();
    }
  }

  /** Reads the header of an open file: its identity, and whether it is one of ours. */
  private probe(fd: number): { identity: string } {
    const n = fs.readSync(fd, this.header, 0, HEADER_SIZE, 0);
    return { identity: identityOf(readHeader(this.header, n, this.kind), fs.fstatSync(fd)) };
  }

  /** Parses a whole file and keeps the result; bad contents become an empty, reported snapshot. */
  private install(file: string, identity: string, bytes: Buffer): Snapshot {
    const parsed = readHeader(bytes, bytes.length, this.kind);
    let snapshot: Snapshot;
    if (!parsed.ok) {
      this.faults.corrupt(file, parsed.problem);
      snapshot = emptySnapshot(identity);
    } else if (bytes.length !== HEADER_SIZE + parsed.bodyLength) {
      this.faults.corrupt(
        file,
        `truncated or padded: ${bytes.length - HEADER_SIZE} body bytes, header says ${parsed.bodyLength}`,
      );
      snapshot = emptySnapshot(identity);
    } else {
      try {
        snapshot = { identity, records: decodeBody(bytes.subarray(HEADER_SIZE)) };
        this.faults.cleared(file);
      } catch (error) {
        this.faults.corrupt(file, `unreadable body (${(error as Error).message})`, error);
        snapshot = emptySnapshot(identity);
      }
    }
    this.snapshots.set(file, snapshot);
    return snapshot;
  }

  private unopenable(file: string, error: unknown, known: Snapshot | undefined): Snapshot {
    if (isFsError(error) && error.code === 'ENOENT') {
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

/**
 * A file's identity: its generation, plus size and mtime so that an edit in place by something
 * other than memoir (which only ever renames new files in) is noticed too. Files without a
 * valid header are identified by inode, size and mtime.
 */
export function identityOf(header: HeaderReading, stat: fs.Stats): string {
  if (header.ok) return `g:${header.generation}:${stat.size}:${stat.mtimeMs}`;
  return `x:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
}

function codeOf(error: unknown): string {
  return isFsError(error) ? (error.code ?? 'UNKNOWN') : 'UNKNOWN';
}
