import { type AcquireOutcome, type Core, type CoreEvent, type Entry, type StoreOperations, WOULD_WAIT } from '../../contract';
import { isTagged, type MemoCodec } from './codec';

/**
 * A built-in core with the `serializer` option of `cached` applied: values are wrapped on the
 * way in (codec.ts) and unwrapped on the way out. An entry another serializer wrote reads as a
 * miss (its being-calculated mark, if any, still in force), silently: switching serializers is
 * a recomputation, not an error. An entry of this serializer that cannot be decoded is reported
 * once per key (`corrupt-entry`) and read as a miss too.
 *
 * Persistent cores are wrapped also for functions on the backend's own form ('v8', the
 * default), so that those never return the tagged bytes another serializer wrote.
 */
export function serializedCore(core: Core, codec: MemoCodec, report: (event: Omit<CoreEvent, 'cache'>) => void, name = core.name): Core {
  const reported = new Set<string>();

  function read(key: string, entry: Entry | undefined): Entry | undefined {
    if (entry === undefined || !entry.completed) return entry;
    // The hit path of the backend's own form: one type test, no allocation.
    if (codec.native && !isTagged(entry.value)) return entry;
    const unwrapped = codec.unwrap(entry.value);
    if (unwrapped.state === 'value') return unwrapped.value === entry.value ? entry : { ...entry, value: unwrapped.value };
    if (unwrapped.state === 'unreadable' && !reported.has(key)) {
      reported.add(key);
      report({
        type: 'corrupt-entry',
        message: `the entry of key ${JSON.stringify(key)} cannot be read with serializer ${codec.tag} (${(unwrapped.error as Error)?.message ?? String(unwrapped.error)}); recomputing it.`,
        error: unwrapped.error,
      });
    }
    if (entry.processing === undefined) return undefined;
    return { time: entry.time, completed: false, processing: entry.processing };
  }

  function outcome(key: string, result: AcquireOutcome): AcquireOutcome {
    const entry = read(key, result.entry);
    if (entry === result.entry) return result;
    return { acquired: result.acquired, entry: entry ?? { time: result.entry.time, completed: false } };
  }

  const wrapped: Core = {
    name,
    nonBlocking: core.nonBlocking,
    path: core.path,
    // Not an async function: a hit pays for the core's promise and one handler, no more.
    get: (key) => core.get(key).then((entry) => read(key, entry)),
    acquire: async (key, claim) => outcome(key, await core.acquire(key, claim)),
    renew: (key, claim) => core.renew(key, claim),
    release: (key, owner) => core.release(key, owner),
    // An async function: a value the serializer refuses rejects the promise, never throws.
    write: async (key, value, options) => core.write(key, codec.wrap(value), options),
    delete: (key) => core.delete(key),
    clear: () => core.clear(),
    clearBeingCalculated: () => core.clearBeingCalculated(),
    deleteStale: (before) => core.deleteStale(before),
    keys: () => core.keys(),
  };
  const sync = core.sync;
  if (sync) {
    const syncOps: StoreOperations<'sync'> = {
      get: (key) => read(key, sync.get(key)),
      acquire: (key, claim) => outcome(key, sync.acquire(key, claim)),
      renew: (key, claim) => sync.renew(key, claim),
      release: (key, owner) => sync.release(key, owner),
      write: (key, value, options) => sync.write(key, codec.wrap(value), options),
      delete: (key) => sync.delete(key),
      clear: () => sync.clear(),
      clearBeingCalculated: () => sync.clearBeingCalculated(),
      deleteStale: (before) => sync.deleteStale(before),
      keys: () => sync.keys(),
    };
    (wrapped as { sync?: StoreOperations<'sync'> }).sync = syncOps;
  }
  const peek = core.peek;
  if (peek) {
    wrapped.peek = (key) => {
      const entry = peek.call(core, key);
      return entry === WOULD_WAIT ? entry : read(key, entry);
    };
  }
  if (core.waitForChange) wrapped.waitForChange = (key, maxMs) => core.waitForChange!(key, maxMs);
  if (core.close) wrapped.close = () => core.close!();
  return wrapped;
}
