import { cached } from '../lib/cached';
import { resetGlobalParams } from '../lib/config/global-params';
import { MemoirError } from '../lib/errors';
import { parseDuration, parseSize } from '../lib/units';
import { manualClock, uniqueName } from './support/engine-helpers';

afterEach(() => resetGlobalParams());

describe('durations', () => {
  test.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1.5s', 1_500],
    ['0s', 0],
    [250, 250],
    [0, 0],
  ])('%p is %d ms', (text, ms) => {
    expect(parseDuration(text, 'staleAfter')).toBe(ms);
  });

  test.each(['soon', '', '10', '10 minutes', '5 min', '1w', '-5s', '1.2.3s', 's'])('%p is refused', (text) => {
    expect(() => parseDuration(text, 'staleAfter')).toThrow(MemoirError);
  });

  test('negative numbers are refused except where negative has a meaning (maxAge)', () => {
    expect(() => parseDuration(-1, 'staleAfter')).toThrow(/staleAfter/);
    expect(() => parseDuration(Number.NaN, 'staleAfter')).toThrow(/staleAfter/);
    expect(parseDuration(-1, 'maxAge', true)).toBe(-1);
  });

  test('a duration memoir waits out with a timer is refused past the longest timer Node.js keeps, at decoration', async () => {
    const memoryCached = (options: Record<string, unknown>) =>
      cached(() => 1, { name: uniqueName('timer'), backend: 'memory', ...options });
    for (const [option, value] of [
      ['waitForCalcTimeout', '25d'],
      ['lease', '100d'],
      ['lease', Number.POSITIVE_INFINITY],
      ['timeout', '25d'],
      ['timeout', Number.POSITIVE_INFINITY],
    ] as const) {
      const error = (() => {
        try {
          memoryCached({ [option]: value });
        } catch (caught) {
          return caught as MemoirError;
        }
      })();
      expect([option, value, error?.code]).toEqual([option, value, 'INVALID_OPTION']);
      expect(error?.message).toContain(`"${option}"`);
      expect(error?.message).toContain('24.8 days');
    }
    // The longest timer itself, and Infinity where it means "no limit", are accepted.
    expect(memoryCached({ lease: 2 ** 31 - 1, waitForCalcTimeout: Number.POSITIVE_INFINITY })()).toBe(1);
    expect(memoryCached({ staleAfter: '400d' })()).toBe(1); // an age, compared with the clock: no timer
  });

  test('a parsed duration drives staleness: staleAfter "2s" is 2,000 ms', () => {
    const clock = manualClock();
    let runs = 0;
    const f = cached(() => ++runs, { name: uniqueName('two-seconds'), backend: 'memory', staleAfter: '2s', clock: clock.now });
    f();
    clock.advance(2_000);
    expect(f()).toBe(1);
    clock.advance(1);
    expect(f()).toBe(2);
  });
});

describe('sizes', () => {
  test.each([
    ['512B', 512],
    ['10KB', 10 * 1024],
    ['1.5MB', 1.5 * 1024 * 1024],
    ['1GB', 1024 ** 3],
    ['10kb', 10 * 1024],
    ['10Kb', 10 * 1024],
    ['2mb', 2 * 1024 ** 2],
    ['1gb', 1024 ** 3],
    ['64b', 64],
    [4096, 4096],
  ])('%p is %d bytes', (text, bytes) => {
    expect(parseSize(text, 'entrySizeLimit')).toBe(bytes);
  });

  test.each(['big', '', '10', '10 KiB', '1TB', '-1KB', Number.POSITIVE_INFINITY, -1])('%p is refused', (value) => {
    expect(() => parseSize(value, 'entrySizeLimit')).toThrow(MemoirError);
  });

  test('a parsed size drives entrySizeLimit: "1KB" is 1,024 bytes', () => {
    const f = cached((n: number) => Buffer.alloc(n), { name: uniqueName('one-kb'), backend: 'memory', entrySizeLimit: '1KB' });
    f(900);
    f(1_100);
    expect(f.stats().sizeLimitRejections).toBe(1);
  });
});

describe('unparseable values fail at decoration, naming the option', () => {
  const fn = (x: number) => x;

  test.each([
    ['staleAfter', 'soon'],
    ['waitForCalcTimeout', 'a while'],
    ['lease', '10 seconds'],
    ['cleanupInterval', 'nightly'],
    ['entrySizeLimit', 'huge'],
    ['staleAfter', -1],
    ['entrySizeLimit', Number.NaN],
  ])('%s: %p', (option, value) => {
    let error: unknown;
    try {
      cached(fn, { name: uniqueName('bad-unit'), backend: 'memory', [option]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MemoirError);
    expect((error as MemoirError).code).toBe('INVALID_OPTION');
    expect((error as MemoirError).message).toContain(`"${option}"`);
  });

  test('the message lists what is accepted', () => {
    expect(() => cached(fn, { name: uniqueName('bad'), backend: 'memory', staleAfter: 'soon' })).toThrow(
      /"staleAfter".*"soon".*'10s'/,
    );
    expect(() => cached(fn, { name: uniqueName('bad'), backend: 'memory', entrySizeLimit: 'huge' })).toThrow(
      /"entrySizeLimit".*'1\.5MB'/,
    );
  });

  test('the decorator form fails when the decorator is created, not at the first call', () => {
    expect(() => cached({ staleAfter: 'soon' })).toThrow(/staleAfter/);
  });

  test('call options with bad units fail when with() is called', () => {
    const f = cached(fn, { name: uniqueName('bad-call'), backend: 'memory' });
    expect(() => f.with({ maxAge: 'soon' })).toThrow(/"maxAge"/);
    expect(() => f.with({ staleAfter: '-1s' })).toThrow(/"staleAfter"/);
  });

  test('maxAge alone accepts negative durations, as numbers and as strings', () => {
    expect(parseDuration('-1s', 'maxAge', true)).toBe(-1000);
    expect(parseDuration(-5, 'maxAge', true)).toBe(-5);
    expect(() => parseDuration('-1s', 'staleAfter')).toThrow(/"staleAfter"/);
  });
});
