import { type Claim, type Core, type CoreEvent, type StoreOperations, WOULD_WAIT } from '../contract';
import { sleep } from './helpers';

/**
 * The one suite every core passes, shipped as `memoir/testing`. A backend's test file calls
 * `describeCoreContract` with a way to open a core and adds its own regressions. The async
 * operations always run; the sync ones too when the options say the core has them, with
 * identical expectations. Runs under Jest (or any runner with Jest's globals and `expect`).
 */
export interface ContractOptions {
  /** The core offers sync operations (`core.sync`): run every case against them too. Default false. */
  sync?: boolean;
  /**
   * The core keeps values as given, without serializing them (the memory core without
   * `copy`): the cases about unserializable values do not apply.
   */
  storesByReference?: boolean;
  /**
   * Damages what `core` stored for `key` (a byte flipped on disk, a foreign document), so the
   * suite can check that damaged data reads as a miss and is reported. Without it those cases
   * are skipped.
   */
  corrupt?: (core: Core, key: string) => Promise<void> | void;
  /** Called once after the suite (close servers, remove temp dirs). */
  teardown?: () => Promise<void> | void;
  /**
   * The core judges leases on its server's clock (redis, sql): a claim's `now` cannot end a
   * live lease, only real time can, and only the lease's length counts. The suite then claims
   * at the real time, waits out short real leases, checks that a caller whose clock runs ahead
   * does not take over a live mark, and accepts reported mark times within `clockSlackMs` of
   * the claim's (a core may report them on the reader's clock, measured from the server's).
   * Entry times (`write`'s `time`) round-trip exactly either way.
   */
  serverClock?: boolean;
  /** With `serverClock`: how far a reported mark time may stray from the claimed one. Default 250 ms. */
  clockSlackMs?: number;
}

/** Opens the core of cache `name`; `report` is the channel its recovered faults go to. */
export type MakeCore = (name: string, report: (event: Omit<CoreEvent, 'cache'>) => void) => Core | Promise<Core>;

let counter = 0;
const uniqueName = () => `contract-${process.pid}-${Date.now().toString(36)}-${counter++}`;

const T0 = 1_700_000_000_000;

/** Adapts sync operations to promises so one body of tests covers both flavours. */
function viaPromises(ops: StoreOperations<'sync'>): StoreOperations<'async'> {
  const wrapped = {} as Record<string, unknown>;
  for (const name of Object.keys(ops) as Array<keyof StoreOperations<'sync'>>) {
    wrapped[name] = (...args: unknown[]) => {
      let result: unknown;
      try {
        result = (ops[name] as (...a: unknown[]) => unknown)(...args);
      } catch (error) {
        return Promise.reject(error);
      }
      if (result instanceof Promise) throw new Error(`sync operation ${name} returned a Promise`);
      return Promise.resolve(result);
    };
  }
  return wrapped as unknown as StoreOperations<'async'>;
}

export function describeCoreContract(label: string, makeCore: MakeCore, options: ContractOptions = {}): void {
  const serverClock = options.serverClock === true;
  const slack = options.clockSlackMs ?? 250;
  /** Where claims start: a fixed epoch when the suite drives the lease clock, the real time otherwise. */
  let C0 = T0;
  const claim = (owner: string, now = C0, lease = 10_000): Claim => ({
    owner,
    now,
    leaseUntil: now + lease,
  });
  /** A reported mark time: exact under the claims' clock, within the slack under the server's. */
  const expectMarkTime = (actual: number | undefined, expected: number) => {
    if (!serverClock) return expect(actual).toBe(expected);
    expect(actual).toBeGreaterThanOrEqual(expected - slack);
    expect(actual).toBeLessThanOrEqual(expected + slack);
  };

  /**
   * Marks `key` for `owner` and lets its lease run out: by the claims' clock, or (serverClock)
   * by real time on the server. Resolves the `now` at which later claims find the mark dead.
   */
  async function leaseRunsOut(ops: StoreOperations<'async'>, key: string, owner: string): Promise<number> {
    if (!serverClock) {
      await ops.acquire(key, claim(owner, T0, 1_000));
      return T0 + 1_000;
    }
    // Long enough that a loaded machine does not let it expire between two round trips.
    await ops.acquire(key, claim(owner, Date.now(), 600));
    await sleep(700);
    return Date.now();
  }

  const cores: Core[] = [];
  let reports: Array<Omit<CoreEvent, 'cache'>> = [];
  const open = async (name = uniqueName()) => {
    const core = await makeCore(name, (event) => reports.push(event));
    cores.push(core);
    return core;
  };
  beforeEach(() => {
    reports = [];
    C0 = serverClock ? Date.now() : T0;
  });

  afterAll(async () => {
    for (const core of cores) await core.close?.();
    await options.teardown?.();
  });

  describe(`${label}: core contract`, () => {
    const flavours: Array<[string, (core: Core) => StoreOperations<'async'>, boolean]> = [
      ['async', (core) => core, true],
      [
        'sync',
        (core) => {
          if (!core.sync) throw new Error('ContractOptions.sync is true, but the core has no `sync` operations');
          return viaPromises(core.sync);
        },
        options.sync === true,
      ],
    ];

    for (const [flavour, pick, applies] of flavours) {
      // A core without the flavour gets its cases listed as skipped, not passed without running.
      (applies ? describe : describe.skip)(`${flavour} operations`, () => {
        let core: Core;
        let ops: StoreOperations<'async'>;

        beforeEach(async () => {
          core = await open();
          ops = pick(core);
        });

        const itSerializing = options.storesByReference ? it.skip : it;
        const itCorrupting = options.corrupt ? it : it.skip;

        itSerializing('rejects a value it cannot serialize with SERIALIZATION_FAILED, storing nothing', async () => {
          await ops.write('k', 'before', { time: T0 });
          const failure = await ops.write('k', { callback: () => 1 }, { time: T0 + 1 }).then(
            () => undefined,
            (error: unknown) => error,
          );
          // By code, not instanceof: a core built on the published package has its own copy of the class.
          expect(failure).toBeInstanceOf(Error);
          expect((failure as { code?: unknown }).code).toBe('SERIALIZATION_FAILED');
          expect(await ops.get('k')).toMatchObject({ value: 'before', time: T0 });
        });

        itCorrupting('reads damaged data as undefined, reports it, and keeps other entries', async () => {
          await ops.write('damaged', 'lost', { time: T0 });
          await ops.write('intact', 'kept', { time: T0 });
          await options.corrupt!(core, 'damaged');
          expect(await ops.get('damaged')).toBeUndefined();
          expect((await ops.get('intact'))?.value).toBe('kept');
          expect(reports.some((event) => event.type === 'corrupt-entry')).toBe(true);
          expect(await ops.write('damaged', 'again', { time: T0 + 1 })).toBe(true);
          expect((await ops.get('damaged'))?.value).toBe('again');
        });

        it('reads nothing for a key never written', async () => {
          expect(await ops.get('missing')).toBeUndefined();
          expect(await ops.keys()).toEqual([]);
        });

        it('stores a completed value with its time, and overwrites it', async () => {
          expect(await ops.write('k', { a: 1 }, { time: T0 })).toBe(true);
          expect(await ops.get('k')).toMatchObject({ value: { a: 1 }, time: T0, completed: true });
          await ops.write('k', 'second', { time: T0 + 5 });
          const entry = await ops.get('k');
          expect(entry).toMatchObject({ value: 'second', time: T0 + 5, completed: true });
          expect(entry?.processing).toBeUndefined();
        });

        it('round-trips the shapes v8 serialization preserves', async () => {
          const circular: Record<string, unknown> = { name: 'loop' };
          circular.self = circular;
          const value = {
            date: new Date(T0),
            map: new Map<unknown, unknown>([[1, 'one'], ['k', { deep: [1, 2] }]]),
            set: new Set(['a', 3]),
            big: 12345678901234567890n,
            typed: new Float64Array([1.5, -2]),
            buffer: Buffer.from('bytes'),
            nested: { list: [null, undefined, -0, Number.NaN] },
            circular,
          };
          await ops.write('shapes', value, { time: T0 });
          const back = (await ops.get('shapes'))?.value as typeof value;
          expect(back.date).toEqual(value.date);
          expect(back.map).toEqual(value.map);
          expect(back.set).toEqual(value.set);
          expect(back.big).toBe(value.big);
          expect(back.typed).toEqual(value.typed);
          expect(Buffer.from(back.buffer).toString()).toBe('bytes');
          expect(back.nested.list).toEqual([null, undefined, -0, Number.NaN]);
          expect(back.circular.self).toBe(back.circular);
        });

        it('acquire on an empty key creates a placeholder that is not a value', async () => {
          const outcome = await ops.acquire('k', claim('A'));
          expect(outcome.acquired).toBe(true);
          expect(outcome.entry.completed).toBe(false);
          const entry = await ops.get('k');
          expect(entry?.completed).toBe(false);
          expect(entry?.value).toBeUndefined();
          expect(entry?.processing?.owner).toBe('A');
          expectMarkTime(entry?.processing?.since, C0);
          expectMarkTime(entry?.processing?.leaseUntil, C0 + 10_000);
          // Both ends of a mark come from one clock: its length is exactly the lease.
          expect(entry!.processing!.leaseUntil - entry!.processing!.since).toBe(10_000);
        });

        it('refuses a second owner while the mark is live, and lets the same owner re-enter', async () => {
          await ops.acquire('k', claim('A'));
          const other = await ops.acquire('k', claim('B', C0 + 1));
          expect(other.acquired).toBe(false);
          expect(other.entry.processing?.owner).toBe('A');
          expect((await ops.acquire('k', claim('A', C0 + 2))).acquired).toBe(true);
        });

        it('lets another owner take over a mark whose lease ran out', async () => {
          if (serverClock) {
            // Long enough that a loaded machine does not let it expire between two round trips.
            await ops.acquire('k', claim('A', Date.now(), 600));
            // A claim from a clock far ahead does not end a lease the server still counts.
            const ahead = await ops.acquire('k', claim('B', Date.now() + 3_600_000));
            expect(ahead.acquired).toBe(false);
            await sleep(700);
            expect((await ops.acquire('k', claim('B', Date.now()))).acquired).toBe(true);
            expect((await ops.get('k'))?.processing?.owner).toBe('B');
            return;
          }
          await ops.acquire('k', claim('A', T0, 1_000));
          expect((await ops.acquire('k', claim('B', T0 + 999))).acquired).toBe(false);
          const takeover = await ops.acquire('k', claim('B', T0 + 1_000));
          expect(takeover.acquired).toBe(true);
          expect((await ops.get('k'))?.processing?.owner).toBe('B');
        });

        it('exactly one of many concurrent claimants acquires', async () => {
          const outcomes = await Promise.all(
            Array.from({ length: 20 }, (_, i) => ops.acquire('race', claim(`owner-${i}`))),
          );
          expect(outcomes.filter((o) => o.acquired)).toHaveLength(1);
        });

        it('renews only the owner’s mark', async () => {
          if (serverClock) {
            await ops.acquire('k', claim('A', Date.now(), 600));
            expect(await ops.renew('k', claim('B', Date.now(), 5_000))).toBe(false);
            const renewedAt = Date.now();
            expect(await ops.renew('k', claim('A', renewedAt, 5_000))).toBe(true);
            expectMarkTime((await ops.get('k'))?.processing?.leaseUntil, renewedAt + 5_000);
            await sleep(700); // past the first lease: only the renewal keeps B out
            expect((await ops.acquire('k', claim('B', Date.now()))).acquired).toBe(false);
            expect(await ops.renew('missing', claim('A', Date.now()))).toBe(false);
            return;
          }
          await ops.acquire('k', claim('A', T0, 1_000));
          expect(await ops.renew('k', claim('B', T0 + 500, 5_000))).toBe(false);
          expect(await ops.renew('k', claim('A', T0 + 500, 5_000))).toBe(true);
          expect((await ops.get('k'))?.processing?.leaseUntil).toBe(T0 + 5_500);
          expect((await ops.acquire('k', claim('B', T0 + 2_000))).acquired).toBe(false);
          expect(await ops.renew('missing', claim('A'))).toBe(false);
        });

        it('release is owner-checked and drops a bare placeholder', async () => {
          await ops.acquire('k', claim('A'));
          await ops.release('k', 'B');
          expect((await ops.get('k'))?.processing?.owner).toBe('A');
          await ops.release('k', 'A');
          expect(await ops.get('k')).toBeUndefined();
        });

        it('acquire keeps a completed value, release keeps it too', async () => {
          await ops.write('k', 'old', { time: T0 });
          const outcome = await ops.acquire('k', claim('A', C0 + 10));
          expect(outcome.entry).toMatchObject({ value: 'old', completed: true });
          expect(await ops.get('k')).toMatchObject({ value: 'old', completed: true, time: T0 });
          await ops.release('k', 'A');
          const entry = await ops.get('k');
          expect(entry).toMatchObject({ value: 'old', completed: true });
          expect(entry?.processing).toBeUndefined();
        });

        it('writing clears the writer’s own mark in the same step', async () => {
          await ops.acquire('k', claim('A'));
          await ops.write('k', 42, { time: T0 + 1, owner: 'A' });
          const entry = await ops.get('k');
          expect(entry).toMatchObject({ value: 42, completed: true });
          expect(entry?.processing).toBeUndefined();
        });

        it('an unowned write (precaching) stores and leaves a calculator’s mark in place', async () => {
          await ops.acquire('k', claim('B'));
          expect(await ops.write('k', 'precached', { time: T0 + 1 })).toBe(true);
          const entry = await ops.get('k');
          expect(entry).toMatchObject({ value: 'precached', completed: true });
          expect(entry?.processing?.owner).toBe('B');
        });

        it('a write whose mark was taken over is fenced: the new owner’s value and mark stay', async () => {
          const later = await leaseRunsOut(ops, 'k', 'A');
          expect((await ops.acquire('k', claim('B', later))).acquired).toBe(true); // A's lease ran out
          expect(await ops.write('k', 'B wins', { time: later + 100, owner: 'B' })).toBe(true);
          expect(await ops.acquire('k', claim('C', later + 200))).toMatchObject({ acquired: true });
          expect(await ops.write('k', 'late A', { time: later + 300, owner: 'A' })).toBe('fenced');
          const entry = await ops.get('k');
          expect(entry).toMatchObject({ value: 'B wins', completed: true, time: later + 100 });
          expect(entry?.processing?.owner).toBe('C');
        });

        it('a write whose mark was cleared (invalidation, clear, clearBeingCalculated) is fenced', async () => {
          for (const clearMark of [
            () => ops.delete('k'),
            () => ops.clear(),
            () => ops.clearBeingCalculated(),
          ]) {
            await ops.write('k', 'old', { time: T0 });
            await ops.acquire('k', claim('A', T0 + 1));
            await clearMark();
            expect(await ops.write('k', 'computed before the invalidation', { time: T0 + 2, owner: 'A' })).toBe('fenced');
            expect((await ops.get('k'))?.value).not.toBe('computed before the invalidation');
          }
        });

        it('a writer whose lease ran out but was not taken over still stores', async () => {
          await ops.acquire('k', claim('A', T0, 1_000));
          expect(await ops.write('k', 'slow but valid', { time: T0 + 5_000, owner: 'A' })).toBe(true);
          const entry = await ops.get('k');
          expect(entry).toMatchObject({ value: 'slow but valid', completed: true });
          expect(entry?.processing).toBeUndefined();
        });

        it('rejects a value over sizeLimit, stores nothing and clears the writer’s mark', async () => {
          await ops.acquire('big', claim('A'));
          const stored = await ops.write('big', 'x'.repeat(5_000), {
            time: T0,
            owner: 'A',
            sizeLimit: 1_000,
          });
          expect(stored).toBe(false);
          expect(await ops.get('big')).toBeUndefined();
          expect(await ops.write('small', 'x', { time: T0, sizeLimit: 1_000 })).toBe(true);
        });

        it('delete removes one key, clear removes all, marks included', async () => {
          await ops.write('a', 1, { time: T0 });
          await ops.write('b', 2, { time: T0 });
          await ops.acquire('c', claim('A'));
          await ops.delete('a');
          await ops.delete('never-there');
          expect((await ops.keys()).sort()).toEqual(['b', 'c']);
          await ops.clear();
          expect(await ops.keys()).toEqual([]);
          expect(await ops.get('c')).toBeUndefined();
        });

        it('clearBeingCalculated drops marks, keeps values, removes placeholders', async () => {
          await ops.write('done', 1, { time: T0 });
          await ops.acquire('done', claim('A'));
          await ops.acquire('pending', claim('B'));
          await ops.clearBeingCalculated();
          const done = await ops.get('done');
          expect(done).toMatchObject({ value: 1, completed: true });
          expect(done?.processing).toBeUndefined();
          expect(await ops.get('pending')).toBeUndefined();
          expect((await ops.acquire('done', claim('C'))).acquired).toBe(true);
        });

        it('deleteStale removes only completed entries stored before the threshold', async () => {
          await ops.write('old', 1, { time: T0 });
          await ops.write('new', 2, { time: T0 + 1_000 });
          await ops.acquire('pending', claim('A', T0));
          expect(await ops.deleteStale(T0 + 500)).toBe(1);
          expect((await ops.keys()).sort()).toEqual(['new', 'pending']);
        });

        it('records whether the function answered with a Promise, and keeps it past a release', async () => {
          await ops.write('async', 1, { time: T0, promised: true });
          await ops.write('sync', 2, { time: T0 });
          expect((await ops.get('async'))?.promised).toBe(true);
          expect((await ops.get('sync'))?.promised).toBeFalsy();
          await ops.acquire('async', claim('A', T0 + 1));
          await ops.release('async', 'A');
          expect(await ops.get('async')).toMatchObject({ value: 1, promised: true });
          await ops.acquire('async', claim('B', T0 + 2));
          await ops.clearBeingCalculated();
          expect(await ops.get('async')).toMatchObject({ value: 1, promised: true });
        });

        it('keeps falsy values apart from missing ones', async () => {
          for (const [key, value] of [
            ['null', null],
            ['zero', 0],
            ['empty', ''],
            ['false', false],
          ] as const) {
            await ops.write(key, value, { time: T0 });
            expect(await ops.get(key)).toMatchObject({ value, completed: true });
          }
          await ops.write('undef', undefined, { time: T0 });
          const undef = await ops.get('undef');
          expect(undef?.completed).toBe(true);
          expect(undef?.value).toBeUndefined();
        });

        it('accepts arbitrary key strings', async () => {
          const keys = ['a/b', '../escape', 'x'.repeat(300), 'ünïcødé', '$where', 'a.b'];
          for (const key of keys) await ops.write(key, key.length, { time: T0 });
          for (const key of keys) expect((await ops.get(key))?.value).toBe(key.length);
          expect((await ops.keys()).sort()).toEqual([...keys].sort());
        });
      });
    }

    it('close is idempotent', async () => {
      const core = await open();
      await core.write('k', 1, { time: T0 });
      await core.close?.();
      await core.close?.();
    });

    it('waitForChange (when offered) resolves by its bound, and early when another instance writes', async () => {
      const name = uniqueName();
      const waiter = await open(name);
      if (!waiter.waitForChange) return; // optional member: the engine polls instead
      const writer = await open(name);
      await waiter.get('k'); // some cores subscribe on first use
      const bounded = Date.now();
      await waiter.waitForChange('quiet', 50);
      expect(Date.now() - bounded).toBeLessThan(5_000);
      // A subscription may still be on its way (LISTEN, SUBSCRIBE): a change made before it took
      // effect is never heard, so the core wakes the waiters that came before it (a spurious
      // wake-up costs one read). Until that first wait ends, writes are repeated.
      const first = Date.now();
      let ended = false;
      const subscribing = waiter.waitForChange('k', 20_000).then(() => {
        ended = true;
      });
      while (!ended) {
        await writer.write('k', 'early', { time: T0 });
        await Promise.race([subscribing, new Promise((resolve) => setTimeout(resolve, 100))]);
      }
      expect(Date.now() - first).toBeLessThan(10_000);
      // Subscribed now: one write must wake the next wait.
      const started = Date.now();
      const woken = waiter.waitForChange('k', 20_000);
      await writer.write('k', 'new', { time: T0 });
      await woken;
      // Far below the 20 s bound: the write woke the waiter, no timer did.
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('peek (when offered) answers what get answers, or that it would wait', async () => {
      const core = await open();
      if (!core.peek) return; // optional member: the engine then asks get
      await core.write('value', { a: 1 }, { time: T0, promised: true });
      await core.acquire('marked', claim('A'));
      await core.get('value'); // some cores open their connection on first use
      const peeked = async (key: string) => {
        const answer = core.peek!(key);
        return answer === WOULD_WAIT ? core.get(key) : answer;
      };
      expect(await peeked('value')).toEqual({ value: { a: 1 }, time: T0, completed: true, promised: true });
      expect(await peeked('missing')).toBeUndefined();
      const marked = await peeked('marked');
      expect(marked).toMatchObject({ completed: false, processing: { owner: 'A' } });
      expectMarkTime(marked?.processing?.leaseUntil, C0 + 10_000);
      await core.delete('value');
      expect(await peeked('value')).toBeUndefined();
    });

    it('keeps namespaces apart and shares one namespace between instances', async () => {
      const name = uniqueName();
      const first = await open(name);
      const second = await open(name);
      const other = await open();
      await first.write('k', 'shared', { time: T0 });
      expect((await second.get('k'))?.value).toBe('shared');
      expect(await other.get('k')).toBeUndefined();
      await other.clear();
      expect((await first.get('k'))?.value).toBe('shared');
    });
  });
}
