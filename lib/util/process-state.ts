/**
 * State that must exist once per process, not once per copy of memoir.
 *
 * A process can load memoir twice: the ESM build (`dist/index.mjs`) through `import` and the
 * CommonJS build (`dist/index.js`) through `require`, e.g. an ESM app using a CommonJS
 * library that depends on memoir (the "dual-package hazard"). Module-level variables would
 * then exist twice: `setGlobalParams` in one copy would not be seen by the other, two default
 * managers would invalidate different caches, and two memory stores would hold different
 * entries for one cache name. Every such piece of state lives instead in one object on
 * `globalThis`, under a registered symbol that both copies compute alike.
 *
 * The symbol carries a version: bump it when the shape of a slot changes, so two different
 * versions of memoir in one process keep separate states instead of misreading each other's.
 * The property is a non-enumerable symbol, so no string-keyed global appears.
 */
const STATE_KEY = Symbol.for('memoir.state.v1');

type Slots = Record<string, unknown>;

function slots(): Slots {
  const holder = globalThis as unknown as Record<symbol, Slots | undefined>;
  let state = holder[STATE_KEY];
  if (state === undefined) {
    state = Object.create(null) as Slots;
    Object.defineProperty(globalThis, STATE_KEY, {
      value: state,
      enumerable: false,
      configurable: false,
      writable: false,
    });
  }
  return state;
}

/**
 * The process-wide value of `slot`, created by `create` on first use (by whichever copy of
 * memoir gets there first). Callers keep the returned object and mutate it in place: the
 * object itself is what both copies share.
 */
export function processState<T extends object>(slot: string, create: () => T): T {
  const state = slots();
  let value = state[slot] as T | undefined;
  if (value === undefined) {
    value = create();
    state[slot] = value;
  }
  return value;
}
