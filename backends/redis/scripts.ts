import { createHash } from 'node:crypto';
import type { RedisPort } from './port';

/**
 * The owner-checked operations on one entry, as Lua scripts: each runs atomically on the node
 * that holds the entry's slot (both keys share a hash tag). Leases are set and judged on the
 * server's clock (`TIME`, `PX`), never a client's. Writes and releases PUBLISH the change so
 * waiters wake without polling (keyspace notifications are often disabled on hosted Redis).
 *
 * They run by EVALSHA with a fallback to EVAL on NOSCRIPT (a restarted or failed-over server
 * has an empty script cache), and never through `defineCommand` on a user's client.
 */
export interface Script {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

function script(name: string, body: string): Script {
  const source = `${PRELUDE}\n${body}`;
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function owner_of(lease)
  if not lease then return nil end
  return string.match(lease, '^%d+:%d+:(.*)$')
end
local function ms(n) return string.format('%.0f', n) end
`;

/**
 * KEYS: value, lease. ARGV: owner, lease ms, ms to keep the mark once dead.
 * Takes the mark when there is none, when it is dead (its leaseUntil has passed on the
 * server's clock), when it is the caller's own, or when it is unreadable. Returns
 * { acquired (1|0), server now, the mark after the attempt, the value record or nil }: a miss
 * learns about a value completed meanwhile in the same round trip.
 */
export const ACQUIRE = script(
  'acquire',
  `
local now = now_ms()
local lease = redis.call('GET', KEYS[2])
local takeable = true
if lease then
  local lease_until, owner = string.match(lease, '^%d+:(%d+):(.*)$')
  takeable = owner == nil or owner == ARGV[1] or tonumber(lease_until) <= now
end
local acquired = 0
if takeable then
  local duration = tonumber(ARGV[2])
  lease = ms(now) .. ':' .. ms(now + duration) .. ':' .. ARGV[1]
  redis.call('SET', KEYS[2], lease, 'PX', duration + tonumber(ARGV[3]))
  acquired = 1
end
local value = redis.pcall('GET', KEYS[1])
if type(value) == 'table' then value = false end
return { acquired, now, lease, value }
`,
);

/**
 * KEYS: lease. ARGV: owner, lease ms, ms to keep the mark once dead.
 * Extends the caller's own mark (live, or dead but not taken over). A mark taken over or
 * cleared stays lost (0): it is never re-acquired here. Returns { renewed (1|0), server now }.
 */
export const RENEW = script(
  'renew',
  `
local now = now_ms()
local lease = redis.call('GET', KEYS[1])
if owner_of(lease) ~= ARGV[1] then return { 0, now } end
local since = string.match(lease, '^(%d+):')
local duration = tonumber(ARGV[2])
redis.call('SET', KEYS[1], since .. ':' .. ms(now + duration) .. ':' .. ARGV[1], 'PX', duration + tonumber(ARGV[3]))
return { 1, now }
`,
);

/** KEYS: lease. ARGV: owner, channel, message. Drops the caller's own mark; returns 1 if it did. */
export const RELEASE = script(
  'release',
  `
if owner_of(redis.call('GET', KEYS[1])) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`,
);

/**
 * KEYS: value, lease. ARGV: value record, owner ('' for none), channel, message.
 * With an owner the write is fenced by its mark: it stores and clears the mark in one step
 * only while the mark is still the owner's (live or dead); a mark taken over or cleared
 * (invalidation, clear) returns 0 and changes nothing, so a late result never overwrites a
 * newer one. Without an owner (precaching) it stores and leaves any mark alone. 1 when stored.
 */
export const WRITE = script(
  'write',
  `
if ARGV[2] ~= '' then
  if owner_of(redis.call('GET', KEYS[2])) ~= ARGV[2] then return 0 end
  redis.call('DEL', KEYS[2])
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`,
);

/** KEYS: value, lease. ARGV: channel, message. Removes the entry and tells waiters. */
export const DELETE = script(
  'delete',
  `
local removed = redis.call('UNLINK', KEYS[1], KEYS[2])
if removed > 0 then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
return removed
`,
);

/**
 * KEYS: value. ARGV: threshold (the engine's epoch ms).
 * Removes a memoir value record whose time is before the threshold; returns 1 if it did.
 * Foreign data under the key is left alone.
 */
export const DELETE_IF_OLDER = script(
  'delete-if-older',
  `
local value = redis.pcall('GET', KEYS[1])
if type(value) ~= 'string' or #value < 11 or string.byte(value, 1) ~= 77 or string.byte(value, 2) ~= 1 then
  return 0
end
local time = struct.unpack('<d', value, 4)
if time < tonumber(ARGV[1]) then
  redis.call('UNLINK', KEYS[1])
  return 1
end
return 0
`,
);

/** No keys: the server's TIME, for the CLI to read marks in the caller's clock. */
export const SERVER_TIME = script('server-time', `return redis.call('TIME')`);

/**
 * KEYS: value, lease. For the CLI's listing without transferring values: returns { the value's
 * length (0 when absent or not a string), its first 11 bytes (the header) or nil, the lease or nil }.
 */
export const ENTRY_SUMMARY = script(
  'entry-summary',
  `
local size = redis.pcall('STRLEN', KEYS[1])
if type(size) ~= 'number' then size = 0 end
local header = false
if size > 0 then header = redis.call('GETRANGE', KEYS[1], 0, 10) end
return { size, header, redis.call('GET', KEYS[2]) }
`,
);

/** Runs a script by its digest, loading it with EVAL when the server's script cache lacks it. */
export async function runScript(
  port: RedisPort,
  script: Script,
  keys: readonly string[],
  args: ReadonlyArray<string | Buffer>,
): Promise<unknown> {
  try {
    return await port.evalsha(script.sha, keys, args);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return port.eval(script.source, keys, args);
  }
}

function isNoScript(error: unknown): boolean {
  return /NOSCRIPT/i.test(String((error as Error)?.message ?? error));
}
