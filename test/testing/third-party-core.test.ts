/**
 * A backend written the way a third party would: against the package's public exports only
 * ('memoir' and 'memoir/testing'), never its insides. It must pass the shared contract suite
 * and plug into `cached` as a CoreFactory.
 */
import {
  type AcquireOutcome,
  asyncFromSync,
  type Claim,
  type Core,
  type CoreFactory,
  type CoreSpec,
  cached,
  canAcquire,
  type Entry,
  MemoirError,
  type StoreOperations,
  serializeFor,
  v8Serializer,
  type WriteOptions,
} from 'memoir';
import { describeCoreContract } from 'memoir/testing';

interface Stored {
  promised?: boolean;
  bytes?: Buffer;
  time: number;
  completed: boolean;
  processing?: Entry['processing'];
}

/** Entries as bytes in a Map per namespace; reads deserialize, so every hit is a fresh copy. */
function bytesOperations(spec: Pick<CoreSpec, 'name' | 'report'>, store: Map<string, Stored>): StoreOperations<'sync'> {
  const read = (key: string): Entry | undefined => {
    const stored = store.get(key);
    if (!stored) return undefined;
    const entry: Entry = { time: stored.time, completed: stored.completed };
    if (stored.promised) entry.promised = true;
    if (stored.processing) entry.processing = { ...stored.processing };
    if (!stored.bytes) return entry;
    try {
      entry.value = v8Serializer.deserialize(stored.bytes);
    } catch (error) {
      spec.report({ type: 'corrupt-entry', message: `unreadable entry ${key}`, error });
      return undefined;
    }
    return entry;
  };
  const releaseMark = (key: string, owner: string | undefined) => {
    const stored = store.get(key);
    if (owner === undefined || stored?.processing?.owner !== owner) return;
    if (stored.completed) delete stored.processing;
    else store.delete(key);
  };
  return {
    get: read,
    acquire(key: string, claim: Claim): AcquireOutcome {
      const stored = store.get(key);
      if (stored && !canAcquire(stored.processing, claim)) return { acquired: false, entry: read(key)! };
      const processing = { owner: claim.owner, since: claim.now, leaseUntil: claim.leaseUntil };
      store.set(key, stored ? { ...stored, processing } : { time: claim.now, completed: false, processing });
      return { acquired: true, entry: read(key)! };
    },
    renew(key, claim) {
      const stored = store.get(key);
      if (stored?.processing?.owner !== claim.owner) return false;
      stored.processing = { ...stored.processing, leaseUntil: claim.leaseUntil };
      return true;
    },
    release: releaseMark,
    write(key, value, options: WriteOptions) {
      const bytes = serializeFor(spec.name, value);
      if (options.sizeLimit !== undefined && bytes.length > options.sizeLimit) {
        releaseMark(key, options.owner);
        return false;
      }
      const mark = store.get(key)?.processing;
      if (options.owner !== undefined && mark?.owner !== options.owner) return 'fenced';
      const keep = options.owner === undefined && mark ? { processing: mark } : {};
      store.set(key, { bytes, time: options.time, completed: true, promised: options.promised, ...keep });
      return true;
    },
    delete(key) {
      store.delete(key);
    },
    clear() {
      store.clear();
    },
    clearBeingCalculated() {
      for (const key of [...store.keys()]) {
        const stored = store.get(key)!;
        if (stored.completed) delete stored.processing;
        else store.delete(key);
      }
    },
    deleteStale(before) {
      let removed = 0;
      for (const [key, stored] of store) {
        if (stored.completed && stored.time < before && store.delete(key)) removed++;
      }
      return removed;
    },
    keys: () => [...store.keys()],
  };
}

const namespaces = new Map<string, Map<string, Stored>>();
const opened: CoreSpec[] = [];

const bytesCore: CoreFactory = (spec): Core => {
  opened.push(spec);
  let store = namespaces.get(spec.name);
  if (!store) namespaces.set(spec.name, (store = new Map()));
  const sync = bytesOperations(spec, store);
  return { name: spec.name, sync, ...asyncFromSync(sync) };
};

describeCoreContract('third-party bytes core', (name, report) => bytesCore({ name, options: {}, report }), {
  sync: true,
  corrupt: (core, key) => {
    namespaces.get(core.name)!.get(key)!.bytes = Buffer.from([0xff, 0x0d, 0x6f, 0x00]);
  },
});

describe('a third-party core in cached()', () => {
  it('is built by its factory with the cache name, the options and a report channel', () => {
    const events: unknown[] = [];
    const area = cached((w: number, h: number) => w * h, {
      name: 'third-party-area',
      backend: bytesCore,
      staleAfter: '1h',
      onEvent: (event) => events.push(event),
    });
    expect(area(2, 3)).toBe(6);
    expect(area(2, 3)).toBe(6);
    expect(area.stats()).toMatchObject({ hits: 1, misses: 1 });
    const spec = opened.find((s) => s.name === 'third-party-area')!;
    expect(spec.options).toMatchObject({ staleAfter: '1h' });
    namespaces.get('third-party-area')!.get(area.keyFor(2, 3))!.bytes = Buffer.from([0xff, 0x00]);
    expect(area(2, 3)).toBe(6);
    expect(events).toContainEqual(expect.objectContaining({ type: 'corrupt-entry', cache: 'third-party-area' }));
  });

  it('is refused at decoration when a core object lacks a member, naming it', () => {
    const { deleteStale: _, ...partial } = bytesCore({ name: 'partial', options: {}, report: () => {} });
    const attempt = () => cached((x: number) => x, { name: 'partial', backend: partial as unknown as Core });
    expect(attempt).toThrow(MemoirError);
    expect(attempt).toThrow(/deleteStale/);
  });

  it('is refused at first use when a factory builds something that is not a core', () => {
    const broken = cached((x: number) => x, { name: 'broken-factory', backend: () => ({}) as Core });
    expect(() => broken(1)).toThrow(/core factory returned .*get, acquire/);
  });
});
