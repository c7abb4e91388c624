import type { ProgressListener, ProgressUnit } from '../contract';
import type { Io } from './command';

const TTY_INTERVAL_MS = 100;
const PLAIN_INTERVAL_MS = 1000;
/** One request reads as "1/1 step", whatever the unit of a longer run would be. */
const SINGULAR: Record<ProgressUnit, string> = { files: 'step', entries: 'entry', steps: 'step' };

/**
 * Progress on stderr, so stdout stays clean for --json and pipes. On a terminal one line is
 * redrawn in place and erased at the end; elsewhere (with --progress) whole lines are written
 * at most once a second, plus the final state.
 */
export function progressOnStderr(io: Io, label: string): ProgressListener {
  const tty = io.stderr.isTTY === true;
  let last = 0;
  return (done, total, unit = 'files') => {
    const finished = done >= total;
    const now = Date.now();
    if (!finished && done > 0 && now - last < (tty ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS)) return;
    last = now;
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    const text = `${label}: ${done}/${total} ${total === 1 ? SINGULAR[unit] : unit} (${percent}%)`;
    if (!tty) io.stderr.write(`${text}\n`);
    else io.stderr.write(finished ? '\r\x1b[K' : `\r\x1b[K${text}`);
  };
}
