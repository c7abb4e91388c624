import type { Io } from '../../lib/cli/command';
import { progressOnStderr } from '../../lib/cli/progress';

/** The terminal flavour of the progress line (the spawned tests cannot give the CLI a TTY). */
function fakeIo(isTTY: boolean): Io & { written: string[] } {
  const written: string[] = [];
  return {
    written,
    stdout: { write: () => true },
    stderr: { isTTY, write: (text: string) => written.push(text) },
    now: () => 0,
    env: {},
  };
}

test('on a terminal one line is redrawn in place and erased at the end', () => {
  const io = fakeIo(true);
  const progress = progressOnStderr(io, 'pruning x');
  progress(0, 64);
  for (let done = 1; done <= 64; done++) progress(done, 64);
  expect(io.written[0]).toBe('\r\x1b[Kpruning x: 0/64 files (0%)');
  // Throttled: a quick run draws far fewer frames than files, and always ends cleared.
  expect(io.written.length).toBeLessThan(10);
  expect(io.written.at(-1)).toBe('\r\x1b[K');
});

test('elsewhere (--progress) whole lines are written, the final count included', () => {
  const io = fakeIo(false);
  const progress = progressOnStderr(io, 'clearing x');
  for (let done = 0; done <= 3; done++) progress(done, 3);
  expect(io.written[0]).toBe('clearing x: 0/3 files (0%)\n');
  expect(io.written.at(-1)).toBe('clearing x: 3/3 files (100%)\n');
});

test('a catalog that counts entries says so; one request is one step', () => {
  const io = fakeIo(false);
  progressOnStderr(io, 'clearing x')(250, 250, 'entries');
  progressOnStderr(io, 'clearing y')(1, 1, 'steps');
  progressOnStderr(io, 'precaching z')(1, 1, 'entries');
  expect(io.written).toEqual([
    'clearing x: 250/250 entries (100%)\n',
    'clearing y: 1/1 step (100%)\n',
    'precaching z: 1/1 entry (100%)\n',
  ]);
});
