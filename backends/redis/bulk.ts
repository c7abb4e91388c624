import type { RedisPort } from './port';
import { slotOf } from './slot';

/**
 * Work over many keys in bounded batches: SCAN one page (on every master), act on it, then the
 * next page. Memory stays at one page whatever the number of entries; no `KEYS`, no index set.
 */
export const SCAN_COUNT = 1_000;

/** Calls `act` with each SCAN page of keys matching `pattern`, as the client expects them. */
export async function forEachPage(
  port: RedisPort,
  pattern: string,
  act: (keys: string[]) => Promise<void>,
): Promise<void> {
  for await (const page of port.scan(pattern, SCAN_COUNT)) {
    const keys = port.keyPrefix ? page.map((key) => key.slice(port.keyPrefix.length)) : page;
    await act(keys);
  }
}

/** UNLINKs keys in one command per slot (a cluster refuses multi-slot commands); returns the count. */
export async function unlinkAll(port: RedisPort, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  if (!port.cluster) return port.unlink(keys);
  const bySlot = new Map<number, string[]>();
  for (const key of keys) {
    // ioredis prefixes keys, and the slot is computed on the key the server sees.
    const slot = slotOf(port.keyPrefix + key);
    let group = bySlot.get(slot);
    if (!group) bySlot.set(slot, (group = []));
    group.push(key);
  }
  const counts = await Promise.all([...bySlot.values()].map((group) => port.unlink(group)));
  return counts.reduce((sum, count) => sum + count, 0);
}
