import * as fs from 'node:fs';
import * as path from 'node:path';
import { DIR_MODE, FILE_MODE, tempNameFor } from '../../lib/atomic-file';
import type { Faults } from './faults';
import { encodeFile, type FileKind, newGeneration, type Records } from './format';
import { withLockAsync, withLockSync } from './lock';
import { type FileReader, identityOf } from './reader';
import { emptySnapshot, NO_FILE, type Snapshot, type SnapshotCache } from './snapshots';
import { notifyChange } from './watch';

/**
 * Optimistic commits: the new contents are written to a temporary file first, then, under the
 * file's lock, installed by rename only if the file is still the one they were computed from
 * (same identity); otherwise the caller re-reads and tries again. Readers never see a partial
 * file (rename is atomic), and no writer overwrites a change it has not seen (no lost
 * updates), while the lock is held only for metadata calls (see lock.ts).
 */
export interface CommitContext {
  dir: string;
  kind: FileKind;
  reader: FileReader;
  snapshots: SnapshotCache;
  faults: Faults;
}

/** A mutation of one file's records: its result, and the new records when anything changed. */
export type Mutation<R> = (records: Records, current: Snapshot) => { result: R; next?: Records };

const MAX_ATTEMPTS = 10_000;

export function mutateSync<R>(context: CommitContext, file: string, mutation: Mutation<R>): R {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = context.reader.loadSync(file);
    const { result, next } = mutation(current.records, current);
    if (!next || commitSync(context, file, current, next)) return result;
  }
  throw tooManyConflicts(file);
}

export async function mutateAsync<R>(
  context: CommitContext,
  file: string,
  mutation: Mutation<R>,
): Promise<R> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await context.reader.loadAsync(file);
    const { result, next } = mutation(current.records, current);
    if (!next || (await commitAsync(context, file, current, next))) return result;
  }
  throw tooManyConflicts(file);
}

function commitSync(context: CommitContext, file: string, current: Snapshot, next: Records): boolean {
  if (next.size === 0) {
    // Nothing on disk and nothing to keep: no lock needed to leave it that way.
    if (current.identity === NO_FILE) return true;
    const removed = withLockSync(file, () => removeIfUnchanged(context, file, current));
    return removed && installed(context, file, emptySnapshot());
  }
  const generation = newGeneration();
  const data = encodeFile(context.kind, generation, next);
  const temp = tempNameFor(file);
  let identity: string | undefined;
  try {
    writeTempSync(context.dir, temp, data);
    identity = withLockSync(file, () =>
      renameIfUnchanged(context, file, current, temp, generation),
    );
  } finally {
    if (!identity) fs.rmSync(temp, { force: true });
  }
  return identity !== undefined && installed(context, file, { identity, records: next });
}

async function commitAsync(
  context: CommitContext,
  file: string,
  current: Snapshot,
  next: Records,
): Promise<boolean> {
  if (next.size === 0) {
    if (current.identity === NO_FILE) return true;
    const removed = await withLockAsync(file, () => removeIfUnchanged(context, file, current));
    return removed && installed(context, file, emptySnapshot());
  }
  const generation = newGeneration();
  const data = encodeFile(context.kind, generation, next);
  const temp = tempNameFor(file);
  let identity: string | undefined;
  try {
    await writeTempAsync(context.dir, temp, data);
    identity = await withLockAsync(file, () =>
      renameIfUnchanged(context, file, current, temp, generation),
    );
  } finally {
    if (!identity) await fs.promises.rm(temp, { force: true });
  }
  return identity !== undefined && installed(context, file, { identity, records: next });
}

/** Installs `temp` as `file` if unchanged; returns the new file's identity, or undefined. */
function renameIfUnchanged(
  context: CommitContext,
  file: string,
  current: Snapshot,
  temp: string,
  generation: string,
): string | undefined {
  if (context.reader.identitySync(file) !== current.identity) return undefined;
  fs.renameSync(temp, file);
  // Still under the lock: nobody can have replaced the file since the rename.
  return identityOf({ ok: true, generation, bodyLength: 0 }, fs.statSync(file));
}

function removeIfUnchanged(context: CommitContext, file: string, current: Snapshot): boolean {
  if (context.reader.identitySync(file) !== current.identity) return false;
  fs.rmSync(file, { force: true });
  return true;
}

function installed(context: CommitContext, file: string, snapshot: Snapshot): true {
  context.snapshots.set(file, snapshot);
  context.faults.cleared(file);
  notifyChange(context.dir, path.basename(file));
  return true;
}

/** Writes the temporary file, creating the cache directory (0700) on first use. */
function writeTempSync(dir: string, temp: string, data: Buffer): void {
  try {
    fs.writeFileSync(temp, data, { mode: FILE_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    fs.writeFileSync(temp, data, { mode: FILE_MODE });
  }
}

async function writeTempAsync(dir: string, temp: string, data: Buffer): Promise<void> {
  try {
    await fs.promises.writeFile(temp, data, { mode: FILE_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await fs.promises.mkdir(dir, { recursive: true, mode: DIR_MODE });
    await fs.promises.writeFile(temp, data, { mode: FILE_MODE });
  }
}

function tooManyConflicts(file: string): Error {
  return new Error(`Gave up updating ${file} after ${MAX_ATTEMPTS} concurrent modifications`);
}
