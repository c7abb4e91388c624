/**
 * `nextTime`: on a stale entry, return the stale value at once and refresh it in the
 * background, once per key however many callers ask meanwhile.
 *
 *   npx tsx examples/next-time.ts
 *
 * Time is an injected `clock` (the `clock` option), so "an hour later" takes no waiting;
 * only the function's own work (200 ms) is real time.
 */
import { cached } from 'memoir';

let failures = 0;
function check(ok: boolean, what: string): void {
  console.log(`${ok ? '  ok  ' : '  FAIL'} ${what}`);
  if (!ok) failures++;
}

const HOUR = 3_600_000;
let now = Date.UTC(2024, 0, 1, 9); // what the cache believes the time is
const clock = () => now;

let computations = 0;
async function exchangeRate(pair: string): Promise<string> {
  computations++;
  const version = computations;
  await new Promise((resolve) => setTimeout(resolve, 200)); // stands for a slow remote call
  return `${pair} rate #${version}`;
}

const rate = cached(exchangeRate, {
  backend: 'memory',
  staleAfter: '1h',
  nextTime: true,
  clock,
});

/** Awaits a call and measures how long the caller waited, in real time. */
async function timed<T>(call: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await call;
  return { value, ms: Date.now() - started };
}

async function main(): Promise<void> {
  const first = await timed(rate('EUR/USD'));
  console.log(`09:00  first call      -> ${first.value}  (${first.ms} ms: computed)`);

  now += 2 * HOUR;
  // Three callers arrive one after another while the entry is stale (and, after the first,
  // while its refresh is running): each gets the old value at once.
  const stale = [];
  for (let i = 0; i < 3; i++) stale.push(await timed(rate('EUR/USD')));
  for (const call of stale) console.log(`11:00  stale call      -> ${call.value}  (${call.ms} ms)`);
  check(
    stale.every((call) => call.value === 'EUR/USD rate #1' && call.ms < 150),
    'every caller got the stale value without waiting for the refresh',
  );

  // The refresh runs in the background; give it time to finish (it takes 200 ms).
  const deadline = Date.now() + 3_000;
  while ((await rate.peek('EUR/USD')) === 'EUR/USD rate #1' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  const fresh = await timed(rate('EUR/USD'));
  console.log(`11:00  after refresh   -> ${fresh.value}  (${fresh.ms} ms: a hit)`);
  check(fresh.value === 'EUR/USD rate #2', 'the next call sees the refreshed value');
  check(computations === 2, 'three stale callers caused exactly one background refresh');

  const stats = rate.stats();
  console.log('stats:', stats);
  check(stats.staleHits === 3 && stats.hits === 1, 'stats count three stale hits and one fresh hit');

  if (failures > 0) throw new Error(`${failures} check(s) failed`);
  console.log('All checks passed.');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
