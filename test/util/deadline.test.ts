import { MemoirError } from '../../lib/errors';
import { armDeadline, disarm, withTimeout } from '../../lib/util';

/**
 * The shared deadline sweeper: many commands in flight, answered and expiring in any order,
 * each rejected once at its own deadline and never after it was answered.
 */
describe('deadlines', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function armed(ms: number) {
    const rejected: unknown[] = [];
    const deadline = armDeadline(ms, () => `work of ${ms} ms`, (error) => rejected.push(error));
    return { deadline, rejected };
  }

  it('rejects each expired one once, with TIMEOUT naming it, and none that was disarmed', async () => {
    const all = [100, 200, 300, 400, 500].map(armed);
    // Answered out of order: the first, the middle one and the last.
    expect(disarm(all[0].deadline)).toBe(true);
    expect(disarm(all[2].deadline)).toBe(true);
    expect(disarm(all[4].deadline)).toBe(true);
    expect(disarm(all[2].deadline)).toBe(false); // answered twice: the second is late

    await jest.advanceTimersByTimeAsync(250);
    expect(all.map((a) => a.rejected.length)).toEqual([0, 1, 0, 0, 0]);
    expect(all[1].rejected[0]).toBeInstanceOf(MemoirError);
    expect((all[1].rejected[0] as MemoirError).code).toBe('TIMEOUT');
    expect((all[1].rejected[0] as Error).message).toMatch(/^work of 200 ms did not complete within 200 ms/);

    await jest.advanceTimersByTimeAsync(1_000);
    expect(all.map((a) => a.rejected.length)).toEqual([0, 1, 0, 1, 0]);
    // Expired ones are out: answering them now says so.
    expect(disarm(all[1].deadline)).toBe(false);
    expect(disarm(all[3].deadline)).toBe(false);
    expect(jest.getTimerCount()).toBe(0); // the sweeper stops when nothing is in flight
  });

  it('keeps track through many arrivals and departures', async () => {
    const live = new Map<number, ReturnType<typeof armed>>();
    for (let i = 0; i < 200; i++) {
      live.set(i, armed(1_000));
      // Every third one is answered at once, every fifth a little later.
      if (i % 3 === 0) expect(disarm(live.get(i)!.deadline)).toBe(true);
      if (i % 5 === 4) expect(disarm(live.get(i - 2)!.deadline)).toBe((i - 2) % 3 !== 0);
    }
    await jest.advanceTimersByTimeAsync(1_100);
    for (const [i, { rejected }] of live) {
      const answered = i % 3 === 0 || (i + 2) % 5 === 4;
      expect([i, rejected.length]).toEqual([i, answered ? 0 : 1]);
    }
  });

  it('withTimeout: the work’s outcome when in time, TIMEOUT when not, no limit for 0', async () => {
    await expect(withTimeout(Promise.resolve('in time'), 50, () => 'quick')).resolves.toBe('in time');
    const slow = withTimeout(new Promise(() => undefined), 50, () => 'slow');
    const outcome = expect(slow).rejects.toMatchObject({ code: 'TIMEOUT' });
    await jest.advanceTimersByTimeAsync(100);
    await outcome;
    const never = new Promise(() => undefined);
    expect(withTimeout(never, 0, () => 'unbounded')).toBe(never);
  });
});
