/**
 * `@cached` on class methods with standard (TC39) decorators, as TypeScript 5+ compiles them
 * when `experimentalDecorators` is off (the root tsconfig). The same import also works as a
 * legacy decorator: see examples/legacy/decorators-legacy.ts.
 *
 *   npx tsx examples/decorators-tc39.ts
 *
 * It shows: the instance's state is part of the key (two instances with equal state share
 * results, different state never does), async methods stay async, static methods work, and
 * `cacheOf(instance.method)` reaches the management methods with their types.
 */
import { cached, cacheOf } from 'memoir';

let failures = 0;
function check(ok: boolean, what: string): void {
  console.log(`${ok ? '  ok  ' : '  FAIL'} ${what}`);
  if (!ok) failures++;
}

const runs: Record<string, number> = {};
const ran = (name: string) => (runs[name] = (runs[name] ?? 0) + 1);

class Reports {
  // Instance fields are part of the key by default: a report for another region is another result.
  constructor(readonly region: string) {}

  // The memory backend keeps the example self-contained; 'file' (the default) or 'mongo'
  // would make the results outlive the process.
  @cached({ backend: 'memory', staleAfter: '1h' })
  async build(month: string): Promise<string> {
    ran('build');
    await new Promise((resolve) => setTimeout(resolve, 50)); // stands for real work
    return `${this.region} report for ${month}`;
  }

  @cached({ backend: 'memory' })
  static currencyOf(region: string): string {
    ran('currencyOf');
    return region === 'eu' ? 'EUR' : 'USD';
  }
}

async function main(): Promise<void> {
  const eu = new Reports('eu');
  const euAgain = new Reports('eu');
  const us = new Reports('us');

  console.log('Instance methods:');
  const first = await eu.build('2024-01');
  const second = await eu.build('2024-01');
  console.log(`  eu.build('2024-01') -> ${first}, then again -> ${second}`);
  check(first === 'eu report for 2024-01' && second === first, 'the second call returns the cached result');
  check(runs.build === 1, 'the method body ran once for two calls');

  await euAgain.build('2024-01');
  check(runs.build === 1, 'another instance with equal state shares the result');

  const usReport = await us.build('2024-01');
  check(usReport === 'us report for 2024-01' && runs.build === 2, 'an instance with different state computes its own');

  const pending = eu.build('2024-02');
  check(pending instanceof Promise, 'an async method still returns a Promise');
  await pending;

  console.log('Static methods:');
  const currency = Reports.currencyOf('eu');
  Reports.currencyOf('eu');
  check(currency === 'EUR' && runs.currencyOf === 1, 'a sync static method stays sync and runs once');

  console.log('Management methods through cacheOf():');
  // Decorators cannot change a member's declared type: cacheOf() types what is there at runtime.
  const build = cacheOf(eu.build);
  console.log('  cache name:', build.cacheName);
  check(build.cacheName.endsWith('examples/decorators-tc39.ts:Reports.build'), 'the cache is named by its module and ClassName.method');
  check(await build.isCached('2024-01'), 'isCached() sees the entry of this instance');
  await build.invalidate('2024-01');
  check(!(await build.isCached('2024-01')), 'invalidate() drops that entry only');
  check(await build.isCached('2024-02'), 'the other month is still cached');
  console.log('  stats:', build.stats());

  if (failures > 0) throw new Error(`${failures} check(s) failed`);
  console.log('All checks passed.');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
