/**
 * `@cached` on class methods with legacy decorators (`experimentalDecorators` and
 * `emitDecoratorMetadata`, the setup of many NestJS/TypeORM-era code bases). It has its own
 * tsconfig beside it, because the root one compiles standard decorators:
 *
 *   npx tsx --tsconfig examples/legacy/tsconfig.json examples/legacy/decorators-legacy.ts
 *
 * It shows: the same `cached` import works as a legacy decorator, results are stored on the
 * file backend (in a scratch directory), a sync method stays sync there, per-instance keys,
 * `shareAcrossInstances`, and the decorated method names recorded with reflect-metadata.
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cached, cachedMethodsOf, cacheOf } from 'memoir';

// CI points MEMOIR_CACHE_DIR at a scratch directory; elsewhere the system temp dir.
// Never the user's real cache directory, and a fresh one each run so the output is stable.
const base = process.env.MEMOIR_CACHE_DIR ?? os.tmpdir();
fs.mkdirSync(base, { recursive: true });
const cacheDir = fs.mkdtempSync(path.join(base, 'memoir-example-legacy-'));

let failures = 0;
function check(ok: boolean, what: string): void {
  console.log(`${ok ? '  ok  ' : '  FAIL'} ${what}`);
  if (!ok) failures++;
}

const runs: Record<string, number> = {};
const ran = (name: string) => (runs[name] = (runs[name] ?? 0) + 1);

class Catalog {
  constructor(readonly discount: number) {}

  // A sync method on the file backend: answered synchronously, hits and misses alike.
  @cached({ backend: 'file', cacheDir })
  price(sku: string, quantity: number): number {
    ran('price');
    const unit = sku.startsWith('w-') ? 9.99 : 4.5;
    return Math.round(quantity * unit * (1 - this.discount) * 100) / 100;
  }

  // The instance is not part of this key: every catalog shares one set of results.
  @cached({ backend: 'file', cacheDir, shareAcrossInstances: true })
  async describe(sku: string): Promise<string> {
    ran('describe');
    await new Promise((resolve) => setTimeout(resolve, 20));
    return `${sku}: a very fine widget`;
  }
}

async function main(): Promise<void> {
  const retail = new Catalog(0);
  const wholesale = new Catalog(0.2);

  console.log('A sync method on the file backend:');
  const first = retail.price('w-1', 3);
  const second = retail.price('w-1', 3);
  console.log(`  retail.price('w-1', 3) -> ${first}, then ${second}`);
  check(typeof first === 'number' && first === 29.97, 'the result is a plain number, not a Promise');
  check(second === first && runs.price === 1, 'the second call is a hit');
  check(wholesale.price('w-1', 3) === 23.98 && runs.price === 2, "another instance's state, another result");

  const priceCache = cacheOf(retail.price);
  const where = priceCache.cachePath() ?? '';
  console.log('  entries live in', where);
  check(where.startsWith(cacheDir), 'they are stored under the scratch cache directory');

  console.log('An async method shared across instances:');
  const a = await retail.describe('w-1');
  const b = await wholesale.describe('w-1');
  check(a === b && runs.describe === 1, 'two instances, one computation');

  console.log('What the legacy decorators recorded:');
  const names = cachedMethodsOf(Catalog.prototype).map(String);
  console.log('  cachedMethodsOf(Catalog.prototype):', names);
  check(names.includes('price') && names.includes('describe'), 'both decorated methods are listed');

  // tsc and ts-jest emit design:* metadata; tsx (esbuild) does not. Where it is emitted,
  // memoir treats a method declared `(): Promise<T>` as async even before its first result;
  // `async` methods, as here, are recognized either way.
  const returnType = Reflect.getMetadata('design:returntype', Catalog.prototype, 'describe');
  console.log(
    `  design:returntype of describe: ${returnType?.name ?? 'not emitted by this compiler'}`,
  );

  if (failures > 0) throw new Error(`${failures} check(s) failed`);
  console.log('All checks passed.');
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(cacheDir, { recursive: true, force: true }));
