/**
 * Child process for the registry test (run with --expose-gc): creates anonymous memory
 * functions the way a request handler would (one per request, called once, dropped) and
 * reports the heap after full collections and what the registries still hold; then checks
 * that what is still referenced, or named, is kept. Prints one JSON line.
 *
 * Two kinds of per-request functions:
 * - defined in a module: each gets the default name of its definition site, so they all
 *   share one name (and one memory store while any of them lives);
 * - defined in code evaluated without a file (node -e, a REPL, vm): there is no definition
 *   site, so each one gets a name of its own, and a registry keyed by name grows by one
 *   entry per request unless it lets go of functions nobody references.
 */
import { EventEmitter, once } from 'node:events';
import * as vm from 'node:vm';
import { cached, getCacheManager } from '../../lib';

const gc = (globalThis as unknown as { gc: () => void }).gc;
const state = (globalThis as unknown as Record<symbol, Record<string, any> | undefined>)[
  Symbol.for('memoir.state.v1')
];
const manager = getCacheManager();
const [sameSiteCount, sitelessCount] = (process.argv[2] ?? '20000,100000').split(',').map(Number);
const SAMPLES = 5;

const turn = () => new Promise((resolve) => setImmediate(resolve));
const events = new EventEmitter();
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

// Requests arrive in separate event-loop turns, as in a server (a WeakRef keeps its target
// alive until the end of the turn that created it). After its first await, this code runs
// with no frame of a file on the stack, like code typed into node -e.
const sitelessRequests = vm.runInThisContext(
  `(async function (cached, count, turn, names) {
    await turn();
    for (let i = 0; i < count; i++) {
      const perRequest = cached((x) => ({ x, padding: 'p'.repeat(64) }), { backend: 'memory', dependsOn: ['raw'] });
      perRequest(i);
      if (names.length < 2) names.push(perRequest.cacheName);
      if (i % 100 === 99) await turn();
    }
  })`,
  { filename: 'evaluated-code' },
) as (c: typeof cached, count: number, t: typeof turn, names: string[]) => Promise<void>;

function registries() {
  return {
    managerNames: manager.cacheNames().length,
    // null where there is no such registry to look at (a memoir without process state)
    memoryStores: state?.['memory-stores.v2']?.byName.size ?? null,
    pinnedStores: state?.['memory-stores.v2']?.pinned.size ?? null,
  };
}

async function main() {
  const sameSiteHeapMB: number[] = [];
  for (let sample = 0; sample < SAMPLES; sample++) {
    for (let i = 0; i < sameSiteCount / SAMPLES; i++) {
      handleRequest(i);
      if (i % 100 === 99) await turn();
    }
    sameSiteHeapMB.push(await settle());
  }
  const afterSameSite = registries();

  const sitelessHeapMB: number[] = [];
  const sitelessNames: string[] = [];
  for (let sample = 0; sample < SAMPLES; sample++) {
    // Started from a timer and waited for through an event, not awaited: V8's async stack
    // traces would otherwise show this module as the caller, and give the functions a site.
    const done = once(events, 'done');
    setImmediate(() => {
      sitelessRequests(cached, sitelessCount / SAMPLES, turn, sitelessNames).then(
        () => events.emit('done'),
        (error) => events.emit('error', error),
      );
    });
    await done;
    sitelessHeapMB.push(await settle());
  }
  const afterSiteless = registries();

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
      sameSiteHeapMB,
      afterSameSite,
      sitelessNames,
      sitelessHeapMB,
      afterSiteless,
      keptAfterGc,
      keptAfterInvalidate,
      namedHit: named(1),
      namedRegistered: manager.hasCache('per-request-named'),
    }),
  );
}
main();
