/**
 * Data-structure caches: objects that behave like a value, a Map, a Set, a sorted set and a
 * gate. Here on the 'default' alias, an in-process memory cache; set MEMOIR_DSN (or
 * `static cache`) and the same code runs on Redis, file, SQL or mongo, shared by processes.
 *
 *   npx tsx examples/structures.ts
 */
import { DictCache, SentinelCache, SetCache, SortedSetCache, ValueCache } from 'memoir';

// Configuration is by subclassing; subclasses inherit and override.
class PageViews extends ValueCache<number> {
  static override prefix = 'PageViews'; // every key starts with it: bump it to start over
  static override ttl = '1d'; // the whole structure's time to live, refreshed on each write
}

class Sums extends ValueCache<number> {
  static override prefix = 'sum';
}

async function main(): Promise<void> {
  const views = new PageViews(['home', '2024-06-01']);
  console.log('key:', views.key); // PageViews.home.2024-06-01
  await views.set(5);
  console.log('increment:', await views.increment(10)); // 15, atomic across processes

  // A Map: keys are typed (1 and '1' are two keys), values anything the serializer keeps.
  const prefs = new DictCache<string, unknown>(['prefs', 'u1'], { data: { theme: 'dark' } });
  console.log('set a new key:', await prefs.set('font', { size: 14 })); // true
  for await (const [name, value] of prefs) console.log('  pref', name, value);
  console.log('size:', await prefs.size());

  // A Set: add says whether the member was new, atomically.
  const seen = new SetCache<string>('seen-messages');
  console.log('first sight:', await seen.add('msg-42'), 'second:', await seen.add('msg-42'));

  // A sorted set: pop hands each member to exactly one caller.
  const jobs = new SortedSetCache<string>('jobs', { data: [[3, 'report'], [1, 'email'], [2, 'resize']] });
  console.log('range:', await jobs.range(0, -1)); // by score
  console.log('pop:', await jobs.pop(), 'popMax:', await jobs.popMax());

  // A gate: one caller gets true until the mark expires or is cleared.
  const gate = new SentinelCache('nightly-report');
  console.log('claims:', await gate.claim(), await gate.claim()); // true false
  await gate.clear();

  // Memoizing into ValueCaches: the key function returns the key's parts.
  let runs = 0;
  const sum = Sums.cached(
    (...xs: number[]) => {
      runs++;
      return xs.reduce((a, b) => a + b, 0);
    },
    { key: (...xs) => xs },
  );
  console.log('sum:', await sum(1, 2), await sum(1, 2), await sum(1, 2, 3), `(${runs} runs)`);
  console.log('stored under:', sum.keyFor(1, 2), '=', await new Sums([1, 2]).get());
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
