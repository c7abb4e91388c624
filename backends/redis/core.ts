import type {
  AcquireOutcome,
  Claim,
  Core,
  CoreSpec,
  Entry,
  Mark,
  WriteOptions,
} from '../../lib/contract';
import { MemoirError } from '../../lib/errors';
import { type Serializer, serializeFor } from '../../lib/contract';
import { forEachPage, unlinkAll } from './bulk';
import type { Connection } from './connections';
import { ALL_KEYS_MESSAGE, Namespace } from './keys';
import { decodeLease, decodeValue, encodeValue, type ServerMark } from './records';
import { ACQUIRE, DELETE, DELETE_IF_OLDER, RELEASE, RENEW, runScript, WRITE } from './scripts';
import { ServerClock } from './server-clock';
import { timedPort } from './timed-port';

/**
 * The Redis memo core: one function's entries on a Redis server or cluster that many
 * processes and machines share. Async only (a sync function on this backend returns a
 * Promise). Round trips: a hit is one MGET; a miss is that read, one acquire script (which
 * also returns a value completed meanwhile) and one write script.
 *
 * Failures reject with MemoirError 'BACKEND_ERROR' naming the cache (a timeout's cause is a
 * MemoirError 'TIMEOUT'); whether the call then runs uncached is the engine's policy.
 */
export interface RedisCoreSettings {
  serializer: Serializer;
  /** Longest wait for one command, in ms. */
  timeoutMs: number;
}

/**
 * How long a dead mark (its lease ran out, nobody took it over) stays on the server after its
 * lease: while it is there its owner's late result still stores (the contract's "live or
 * dead" fence); then the key expires by itself, so a crashed calculator leaves nothing behind.
 */
export function deadMarkKeptMs(leaseMs: number): number {
  return Math.max(60_000, leaseMs * 5);
}

export function createRedisCoreOn(
  spec: CoreSpec,
  connection: Connection,
  settings: RedisCoreSettings,
): Core {
  const { name } = spec;
  const port = timedPort(connection.port, settings.timeoutMs);
  const namespace = new Namespace(name, port.keyPrefix);
  const clock = new ServerClock();
  const reportedKeys = new Set<string>();
  let lostLeaseReported = false;

  async function run<T>(operation: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      throw backendError(name, operation, port.label, error);
    }
  }

  function markOf(lease: ServerMark | undefined): Mark | undefined {
    if (!lease) return undefined;
    return {
      owner: lease.owner,
      since: clock.toCaller(lease.since),
      leaseUntil: clock.toCaller(lease.leaseUntil),
    };
  }

  /** Builds an entry from the two records; unreadable values are a miss, reported once per key. */
  function entryOf(
    key: string,
    value: Buffer | null | undefined,
    lease: Buffer | string | null | undefined,
  ): Entry | undefined {
    const processing = markOf(decodeLease(lease));
    if (value) {
      const decoded = decodeValue(value, settings.serializer);
      if (decoded.ok) {
        const entry: Entry = { value: decoded.value, time: decoded.time, completed: true };
        if (decoded.promised) entry.promised = true;
        if (processing) entry.processing = processing;
        return entry;
      }
      reportUnreadable(key, decoded.reason, 'error' in decoded ? decoded.error : undefined);
    }
    return processing ? { time: processing.since, completed: false, processing } : undefined;
  }

  function reportUnreadable(key: string, reason: string, error: unknown): void {
    if (reportedKeys.has(key)) return;
    reportedKeys.add(key);
    const location = `${namespace.entry(key).value} on ${port.label}`;
    spec.report({
      type: 'corrupt-entry',
      message: `Cache "${name}": the value of key ${JSON.stringify(key)} (${location}) is unreadable (${reason}); treating it as a miss.`,
      location,
      error,
    });
  }

  function reportLostLease(key: string): void {
    if (lostLeaseReported) return;
    lostLeaseReported = true;
    spec.report({
      type: 'lease-lost',
      message:
        `Cache "${name}": the mark of key ${JSON.stringify(key)} was taken over or cleared before its result ` +
        'was stored (its lease ran out under a blocked event loop or an unreachable server, or another process ' +
        'cleared the cache); the result went to its caller and was not stored.',
      location: port.label,
    });
  }

  /** Script arguments of a claim: the lease on the server's clock, and how long a dead mark stays. */
  const leaseArgs = (claim: Claim) => {
    const lease = Math.max(1, Math.ceil(claim.leaseUntil - claim.now));
    return [String(lease), String(deadMarkKeptMs(lease))];
  };

  async function release(key: string, owner: string): Promise<void> {
    const keys = namespace.entry(key);
    await run('release', () =>
      runScript(port, RELEASE, [keys.lease], [owner, namespace.channel, namespace.message(key)]),
    );
  }

  async function announceAll(): Promise<void> {
    await port.publish(namespace.channel, ALL_KEYS_MESSAGE);
  }

  const core: Core = {
    name,

    // The hit path: one MGET, no async wrapper of our own around it.
    get(key) {
      const keys = namespace.entry(key);
      return port.mget([keys.value, keys.lease]).then(
        ([value, lease]) => entryOf(key, value, lease),
        (error: unknown) => {
          throw backendError(name, 'get (MGET)', port.label, error);
        },
      );
    },

    async acquire(key, claim): Promise<AcquireOutcome> {
      const keys = namespace.entry(key);
      const reply = (await run('acquire', () =>
        runScript(port, ACQUIRE, [keys.value, keys.lease], [claim.owner, ...leaseArgs(claim)]),
      )) as [number, number, Buffer, Buffer | null | undefined];
      const [acquired, serverNow, lease, value] = reply;
      clock.observe(claim.now, Number(serverNow));
      const entry = entryOf(key, value, lease) ?? { time: claim.now, completed: false };
      return { acquired: acquired === 1, entry };
    },

    async renew(key, claim) {
      const keys = namespace.entry(key);
      const [renewed, serverNow] = (await run('renew', () =>
        runScript(port, RENEW, [keys.lease], [claim.owner, ...leaseArgs(claim)]),
      )) as [number, number];
      clock.observe(claim.now, Number(serverNow));
      // Not reported here: a renewal racing the write that just cleared the mark fails too.
      return renewed === 1;
    },

    release,

    async write(key, value, options: WriteOptions) {
      const payload = serializeFor(name, value, settings.serializer);
      if (options.sizeLimit !== undefined && payload.length > options.sizeLimit) {
        if (options.owner !== undefined) await release(key, options.owner);
        return false;
      }
      const keys = namespace.entry(key);
      const record = encodeValue(options.time, payload, options.promised === true);
      const args = [record, options.owner ?? '', namespace.channel, namespace.message(key)];
      const stored = await run('write', () =>
        runScript(port, WRITE, [keys.value, keys.lease], args),
      );
      if (stored === 1) return true;
      reportLostLease(key);
      return 'fenced';
    },

    async delete(key) {
      const keys = namespace.entry(key);
      await run('delete', () =>
        runScript(
          port,
          DELETE,
          [keys.value, keys.lease],
          [namespace.channel, namespace.message(key)],
        ),
      );
    },

    async clear() {
      await run('clear (SCAN + UNLINK)', async () => {
        await forEachPage(
          port,
          namespace.pattern('all'),
          async (page) => void (await unlinkAll(port, page)),
        );
        await announceAll();
      });
    },

    async clearBeingCalculated() {
      await run('clearBeingCalculated (SCAN + UNLINK)', async () => {
        await forEachPage(
          port,
          namespace.pattern('lease'),
          async (page) => void (await unlinkAll(port, page)),
        );
        await announceAll();
      });
    },

    async deleteStale(before) {
      return run('deleteStale (SCAN + script)', async () => {
        let removed = 0;
        await forEachPage(port, namespace.pattern('value'), async (page) => {
          const outcomes = await Promise.all(
            page.map((key) => runScript(port, DELETE_IF_OLDER, [key], [String(before)])),
          );
          removed += outcomes.filter((outcome) => outcome === 1).length;
        });
        return removed;
      });
    },

    async keys() {
      return run('keys (SCAN)', async () => {
        const found = new Set<string>();
        await forEachPage(port, namespace.pattern('all'), async (page) => {
          for (const redisKey of page) {
            const key = namespace.argumentKey(redisKey);
            if (key !== undefined) found.add(key);
          }
        });
        return [...found];
      });
    },

    waitForChange(key, maxMs) {
      return connection.feed.wait(namespace.channel, namespace.message(key), maxMs);
    },

    close: () => connection.release(),
  };
  return core;
}

/**
 * Server and network failures become MemoirError 'BACKEND_ERROR' naming the cache, the
 * operation and the server, with the cause attached (a MemoirError 'TIMEOUT' for a server
 * that did not answer). Other MemoirErrors (serialization) pass through.
 */
function backendError(
  cache: string,
  operation: string,
  label: string,
  cause: unknown,
): MemoirError {
  if (cause instanceof MemoirError && cause.code !== 'TIMEOUT') return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new MemoirError(
    'BACKEND_ERROR',
    `Cache "${cache}": Redis ${operation} on ${label} failed: ${reason}`,
    { cause },
  );
}
