/**
 * Child process for the registry test (run with --expose-gc): creates 100,000 anonymous
 * memory functions the way a request handler would (one per request, called once, dropped)
 * and reports the heap after full collections and what the registries still hold; then checks
 * that what is still referenced, or named, is kept. Prints one JSON line.
 */
import { cached, getCacheManager } from '../../lib';

const gc = (globalThis as unknown as { gc: () => void }).gc;
const state = (globalThis as unknown as Record<symbol, Record<string, any> | undefined>)[
  Symbol.for('memoir.state.v1')
];
const manager = getCacheManager();
const TOTAL = Number(process.argv[2] ?? 100_000);
const ROUNDS = Number(process.argv[3] ?? 10);

const turn = () => new Promise((resolve) => setImmediate(resolve));
/** Full collections, with turns in between so finalization callbacks run. */
async function settle(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await turn();
  }
  return process.memoryUsage().heapUsed / 2 ** 20;
}

function handleRequest(i: number): unknown {
  const perRequest = cached((x: number) => ({ x, padding: 'p'.repeat(64) }), {
    backend: 'memory',
    dependsOn: ['raw'],
  });
  return perRequest(i);
}

async function main() {
  const heapMB: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Requests arrive in separate event-loop turns, as in a server (a WeakRef keeps its
    // target alive until the end of the turn that created it).
    for (let i = 0; i < TOTAL / ROUNDS; i++) {
      handleRequest(i);
      if (i % 100 === 99) await turn();
    }
    heapMB.push(await settle());
  }
  const registries = {
    managerNames: manager.cacheNames().length,
    // null where there is no such registry to look at (a memoir without process state)
    memoryStores: state?.['memory-stores']?.byName.size ?? null,
    pinnedStores: state?.['memory-stores']?.pinned.size ?? null,
  };

  // Still referenced: kept registered, its entries kept, invalidation still reaches it.
  let keptRuns = 0;
  const kept = cached((x: number) => x + ++keptRuns * 0, { backend: 'memory', dependsOn: ['raw'] });
  kept(1);
  await settle();
  kept(1);
  const keptAfterGc = { runs: keptRuns, registered: manager.hasCache(kept.cacheName) };
  await manager.invalidate('raw');
  kept(1);
  const keptAfterInvalidate = keptRuns;

  // Named by the user: its entries outlive the function, for the next one of that name.
  (() => cached((x: number) => `first ${x}`, { name: 'per-request-named', backend: 'memory' })(1))();
  await settle();
  const named = cached((x: number) => `second ${x}`, { name: 'per-request-named', backend: 'memory' });

  console.log(
    JSON.stringify({
      heapMB,
      registries,
      keptAfterGc,
      keptAfterInvalidate,
      namedHit: named(1),
      namedRegistered: manager.hasCache('per-request-named'),
    }),
  );
}
main();
