import { cached, MemoirError } from '../../lib';
import { parseDuration } from '../../lib/units';

/** Small traps a first user falls into, each an error that says what to do, or a shorthand that works. */
describe('first contact', () => {
  test('precacheValue with too few arguments is refused instead of keying a different call', async () => {
    const area = cached((w: number, h: number) => w * h, { backend: 'memory', name: 'fc-area' });
    await expect(area.precacheValue([2] as unknown as [number, number], 6)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/1 argument for a function of 2/),
    });
    await expect(area.precacheValue([2, 3], 6)).resolves.toBe(6);
  });

  test('cached(fn, "name") takes the string as the name', () => {
    expect(cached((x: number) => x, 'fc-named').cacheName).toBe('fc-named');
  });

  test('cached(42) is INVALID_ARGUMENT', () => {
    expect(() => cached(42 as never)).toThrow(MemoirError);
    expect(() => cached(42 as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  test("'10M' is refused as ambiguous; '10m' is ten minutes", () => {
    expect(() => parseDuration('10M', 'staleAfter')).toThrow(/'10m' for minutes/);
    expect(parseDuration('10m', 'staleAfter')).toBe(600_000);
    expect(() => cached((x: number) => x, { backend: 'memory', staleAfter: '10M' })).toThrow(/staleAfter/);
  });
});
