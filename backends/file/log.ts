import { crc32 } from './crc32';
import { decodeOp, FRAME_HEADER_SIZE, type Records } from './format';
import { applyOp } from './records';

/**
 * Replays a file's frames onto its records.
 *
 * Appends from many processes are serialized by the kernel (O_APPEND writes to a local file
 * happen under the inode lock), so every reader sees the same frames in the same order and
 * computes the same records. An appender learns the outcome of its own change (did its claim
 * win?) by replaying up to its frame, found by the id it carries (`pending`).
 *
 * Damage is skipped, never misread: a frame whose CRC does not match, or bytes that are not
 * a frame, are passed over to the next valid frame (frames start with the file's random
 * generation, which is what the scan looks for). A frame that runs past the end of the file
 * is either still being written or was torn by a writer that died; it counts as torn only
 * once a valid frame follows it, which cannot happen while it is still being written.
 */
export interface Replay {
  records: Records;
  /** File offset up to which frames were consumed; the next replay starts there. */
  offset: number;
  /** A `seal` frame was met: the file is being replaced and later frames do not count. */
  sealed: boolean;
  /** The first damage met, if any. */
  problem?: string;
}

/**
 * What a replay reports besides the records: `pending`, the results of the frames whose ids it
 * holds (an appender's own frames, see file-index.ts); `carried`, the start and end of every
 * frame applied (a compaction copies them into the new file, see replace.ts).
 */
export interface ReplayOutputs {
  pending?: Map<string, { result: unknown } | undefined>;
  carried?: Array<[start: number, end: number]>;
}

type FrameCheck = { status: 'ok'; end: number } | { status: 'incomplete' } | { status: 'bad' };

function checkFrame(bytes: Buffer, pos: number, salt: Buffer): FrameCheck {
  if (pos + FRAME_HEADER_SIZE > bytes.length) return { status: 'incomplete' };
  if (bytes.compare(salt, 0, 8, pos, pos + 8) !== 0) return { status: 'bad' };
  const end = pos + FRAME_HEADER_SIZE + bytes.readUInt32LE(pos + 8);
  if (end > bytes.length) return { status: 'incomplete' };
  const body = bytes.subarray(pos + FRAME_HEADER_SIZE, end);
  return crc32(body) === bytes.readUInt32LE(pos + 12) ? { status: 'ok', end } : { status: 'bad' };
}

/** Start of the next complete, valid frame at or after `from`, or -1. */
function nextValidFrame(bytes: Buffer, from: number, salt: Buffer): number {
  for (let at = bytes.indexOf(salt, from); at >= 0; at = bytes.indexOf(salt, at + 1)) {
    if (checkFrame(bytes, at, salt).status === 'ok') return at;
  }
  return -1;
}

/**
 * Replays the frames in `bytes` (the file's contents from offset `base` on) onto `records`,
 * which it changes in place. `sealed` carries over from an earlier replay of the same file.
 */
export function replayFrames(
  bytes: Buffer,
  base: number,
  generation: string,
  records: Records,
  sealed: boolean,
  outputs?: ReplayOutputs,
): Replay {
  const salt = Buffer.from(generation, 'latin1');
  const replay: Replay = { records, offset: base, sealed };
  let pos = 0;
  while (pos < bytes.length) {
    const frame = checkFrame(bytes, pos, salt);
    if (frame.status === 'ok') {
      if (!replay.sealed && apply(replay, bytes.subarray(pos + FRAME_HEADER_SIZE, frame.end), outputs?.pending)) {
        outputs?.carried?.push([pos, frame.end]);
      }
      pos = frame.end;
      continue;
    }
    const next = nextValidFrame(bytes, pos + 1, salt);
    if (next < 0) {
      // Incomplete: wait for the rest. Damaged: skip it, but not past a frame being written.
      if (frame.status === 'bad') {
        replay.problem ??= 'damaged data (skipped)';
        const candidate = bytes.indexOf(salt, pos + 1);
        pos = candidate >= 0 ? candidate : Math.max(pos + 1, bytes.length - (salt.length - 1));
      }
      break;
    }
    // Generic wording: one damaged file is one report, wherever a replay happens to meet it.
    replay.problem ??= frame.status === 'bad' ? 'damaged data (skipped)' : 'torn frame (skipped; its writer stopped mid-write)';
    pos = next;
  }
  replay.offset = base + pos;
  return replay;
}

/** Applies one frame's change; false when it changed nothing (a seal, unreadable data). */
function apply(replay: Replay, body: Buffer, pending: ReplayOutputs['pending']): boolean {
  let op: ReturnType<typeof decodeOp>;
  try {
    op = decodeOp(body);
  } catch (error) {
    replay.problem ??= `unreadable change (${(error as Error).message})`;
    return false;
  }
  if (op.op === 'seal') {
    replay.sealed = true;
    return false;
  }
  try {
    const result = applyOp(replay.records, op);
    if (pending !== undefined && pending.size > 0 && 'id' in op && pending.has(op.id)) pending.set(op.id, { result });
    return true;
  } catch (error) {
    replay.problem ??= `unreadable change (${(error as Error).message})`;
    return false;
  }
}
