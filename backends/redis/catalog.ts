import {
  type CacheSummary,
  type Catalog,
  type EntryInfo,
  emptySummary,
  type Mark,
  v8Serializer,
  withServerErrors,
} from '../../lib/contract';
import { MemoirError } from '../../lib/errors';
import { forEachPage, unlinkAll } from './bulk';
import { connect } from './connections';
import { createRedisCoreOn } from './core';
import { everyMemoirKey, Namespace, parseRedisKey } from './keys';
import { decodeLease, HEADER_BYTES, readHeader, type ServerMark } from './records';
import { ENTRY_SUMMARY, runScript, SERVER_TIME } from './scripts';
import { timedPort } from './timed-port';

export interface RedisCatalogOptions {
  /** `redis://` or `rediss://` URL of the server. */
  url: string;
  /** Longest wait for one command; the CLI keeps it short. */
  timeoutMs: number;
}

/**
 * The caches of one Redis database, for the CLI: every namespace of memoir's keys
 * (`{memoir:<name>:...}`) is a cache. Listing reads each entry's header, size and lease by a
 * script, a SCAN page at a time (values are not transferred); the maintenance commands use
 * the same SCAN + UNLINK paths as the core, and precache writes through the core itself.
 */
export function openRedisCatalog(options: RedisCatalogOptions): Catalog {
  const connection = connect(options.url, options.timeoutMs);
  const port = timedPort(connection.port, options.timeoutMs);
  const location = port.label;

  /** Offset of the caller's clock to the server's, so marks read in the caller's clock. */
  async function clockOffset(now: number): Promise<number> {
    const [seconds, micros] = (await runScript(port, SERVER_TIME, [], [])) as [number, number];
    return now - (Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
  }

  const markIn = (lease: ServerMark, offset: number): Mark => ({
    owner: lease.owner,
    since: lease.since + offset,
    leaseUntil: lease.leaseUntil + offset,
  });

  async function knownCaches(): Promise<string[]> {
    const names = new Set<string>();
    await forEachPage(port, everyMemoirKey(), async (page) => {
      for (const key of page) {
        const parsed = parseRedisKey(key);
        if (parsed) names.add(parsed.name);
      }
    });
    return [...names].sort();
  }

  /** The namespace of `name`, or UNKNOWN_CACHE (listing the known ones) when it holds nothing. */
  async function resolve(name: string): Promise<Namespace> {
    const namespace = new Namespace(name);
    let found = false;
    for await (const page of port.scan(namespace.pattern('all'), 1_000)) {
      if (page.length > 0) {
        found = true;
        break;
      }
    }
    if (found) return namespace;
    const known = await knownCaches();
    const hint =
      known.length > 0 ? `known caches: ${known.slice(0, 20).join(', ')}` : 'it holds no caches';
    throw new MemoirError('UNKNOWN_CACHE', `No cache named "${name}" in ${location} (${hint}).`);
  }

  /** A core on this connection (each core holds its own share of the connection). */
  function coreOf(name: string) {
    return createRedisCoreOn(
      { name, options: {}, report: () => undefined },
      connect(options.url, options.timeoutMs),
      {
        serializer: v8Serializer,
        timeoutMs: options.timeoutMs,
      },
    );
  }

  async function withCore<T>(
    name: string,
    run: (core: ReturnType<typeof coreOf>) => Promise<T>,
  ): Promise<T> {
    const core = coreOf(name);
    try {
      return await run(core);
    } finally {
      await core.close?.();
    }
  }

  const catalog: Catalog = {
    location,

    async list(now) {
      const offset = await clockOffset(now);
      const summaries = new Map<string, CacheSummary>();
      await forEachPage(port, everyMemoirKey(), async (page) => {
        await Promise.all(
          page.map(async (redisKey) => {
            const parsed = parseRedisKey(redisKey);
            if (!parsed) return;
            const keys = new Namespace(parsed.name).entry(parsed.key);
            const [size, header, lease] = (await runScript(
              port,
              ENTRY_SUMMARY,
              [keys.value, keys.lease],
              [],
            )) as [number, Buffer | null, Buffer | null];
            // An entry with a value is counted from its value key; a lease alone is a placeholder.
            if (parsed.kind === 'lease' && size > 0) return;
            let summary = summaries.get(parsed.name);
            if (!summary)
              summaries.set(parsed.name, (summary = emptySummary(parsed.name, location, 'redis')));
            const mark = decodeLease(lease);
            if (size > 0) {
              const read = header ? readHeader(header) : { ok: false as const };
              if (!read.ok) {
                summary.unreadable++;
                return;
              }
              summary.completed++;
              summary.bytes += Number(size) - HEADER_BYTES;
              summary.oldest = Math.min(summary.oldest ?? read.time, read.time);
              summary.newest = Math.max(summary.newest ?? read.time, read.time);
            }
            summary.entries++;
            if (!mark) return;
            const inCallerClock = markIn(mark, offset);
            // A dead mark stays a while (its owner's late result may still store), then expires.
            if (inCallerClock.leaseUntil > now)
              summary.liveMarks.push({ key: parsed.key, ...inCallerClock });
            else summary.deadMarks++;
          }),
        );
      });
      return [...summaries.values()].sort((a, b) => a.name.localeCompare(b.name));
    },

    async entries(name, key) {
      const namespace = await resolve(name);
      const offset = await clockOffset(Date.now());
      const keys = new Set<string>();
      if (key !== undefined) keys.add(key);
      else {
        await forEachPage(port, namespace.pattern('all'), async (page) => {
          for (const redisKey of page) {
            const argumentKey = namespace.argumentKey(redisKey);
            if (argumentKey !== undefined) keys.add(argumentKey);
          }
        });
      }
      const found: EntryInfo[] = [];
      for (const argumentKey of keys) {
        const entry = namespace.entry(argumentKey);
        const [value, leaseBytes] = await port.mget([entry.value, entry.lease]);
        const lease = decodeLease(leaseBytes);
        const processing = lease ? markIn(lease, offset) : undefined;
        if (value) {
          const header = readHeader(value);
          found.push({
            key: argumentKey,
            time: header.ok ? header.time : 0,
            completed: true,
            size: Math.max(0, value.length - HEADER_BYTES),
            ...(processing ? { processing } : {}),
            value: () => {
              // Foreign or damaged bytes read as a miss by the function; here, as an error to show.
              if (!header.ok) throw new Error(header.reason);
              return v8Serializer.deserialize(value.subarray(HEADER_BYTES));
            },
          });
        } else if (processing) {
          found.push({
            key: argumentKey,
            time: processing.since,
            completed: false,
            size: 0,
            processing,
            value: () => undefined,
          });
        }
      }
      return found;
    },

    async clear(name, progress) {
      const namespace = await resolve(name);
      progress?.(0, 1);
      // Placeholders (a lease without a value) first, then the values: each entry counts once.
      let removed = 0;
      await forEachPage(port, namespace.pattern('lease'), async (page) => {
        const valueKeys = page.map((lease) => lease.replace(/:lease$/, ':value'));
        const values = await Promise.all(valueKeys.map((key) => port.mget([key])));
        removed += values.filter(([value]) => value === null).length;
        await unlinkAll(port, page);
      });
      await forEachPage(port, namespace.pattern('value'), async (page) => {
        removed += await unlinkAll(port, page);
      });
      await withCore(name, (core) => core.clear()); // a last sweep, and waiters are told
      progress?.(1, 1);
      return removed;
    },

    async clearBeingCalculated(name, progress) {
      const namespace = await resolve(name);
      progress?.(0, 1);
      let removed = 0;
      await forEachPage(port, namespace.pattern('lease'), async (page) => {
        removed += await unlinkAll(port, page);
      });
      await port.publish(namespace.channel, '%');
      progress?.(1, 1);
      return removed;
    },

    async prune(name, before, progress) {
      await resolve(name);
      progress?.(0, 1);
      const removed = await withCore(name, (core) => core.deleteStale(before));
      progress?.(1, 1);
      return removed;
    },

    async precache(name, items, now) {
      return withCore(name, async (core) => {
        for (const { key, value } of items) await core.write(key, value, { time: now });
        return items.length;
      });
    },

    close: () => connection.release(),
  };
  return withServerErrors(catalog, 'Redis', (error) => error.code === 'TIMEOUT');
}
