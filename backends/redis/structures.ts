import { createHash } from 'node:crypto';
import type { NativeStructures } from '../../lib/contract';
import { MemoirError } from '../../lib/errors';
import type { KvKeys } from './kv-keys';
import type { RedisPort } from './port';
import { runScript, type Script } from './scripts';

/**
 * The data-structure caches on Redis's own types, one round trip per operation: a ValueCache
 * is a STRING (INCRBY), a DictCache a HASH, a SetCache a SET, a SortedSetCache a ZSET. A write
 * without a time to live is the plain command (HSET, SADD, ZADD, HDEL, SREM, ZREM, ZPOPMIN,
 * ZPOPMAX); a write that also moves the structure's expiry is one script doing the command
 * and PEXPIRE, so the two never come apart. An increment is a plain INCRBY checked by
 * safeIncrement, or, with a time to live, SAFE_INCREMENT's script.
 * Each structure is one key (the cache's key of it, see kv-keys.ts), so every command and
 * script names exactly one key and runs within its slot on a cluster.
 */
function script(name: string, source: string): Script {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * KEYS: key. ARGV: ttl ms, command, its arguments after the key. The expiry moves when the
 * command changed something (HDEL, SREM, ZREM of an absent member and a pop of an empty set do
 * not), as on every other backend.
 */
const WRITE_THEN_EXPIRE = script(
  'structure-write',
  `local reply = redis.call(ARGV[2], KEYS[1], unpack(ARGV, 3))
if (type(reply) == 'number' and reply > 0) or (type(reply) == 'table' and #reply > 0) then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return reply`,
);

/**
 * KEYS: key. ARGV: ttl ms ('' to leave the expiry), replace ('1': delete first), command
 * (HSET, SADD, ZADD), arguments per item (2 or 1), the items. Sent in chunks so that no
 * `unpack` exceeds Lua's stack, however many items; returns how many were new.
 */
const ADD_MANY = script(
  'structure-add',
  `if ARGV[2] == '1' then redis.call('DEL', KEYS[1]) end
local chunk = 1000 * tonumber(ARGV[4])
local added = 0
for i = 5, #ARGV, chunk do
  added = added + redis.call(ARGV[3], KEYS[1], unpack(ARGV, i, math.min(i + chunk - 1, #ARGV)))
end
if ARGV[1] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return added`,
);

/**
 * KEYS: key. ARGV: delta, ttl ms ('' leaves the expiry). INCRBY, except that a sum (or a stored
 * integer) beyond JavaScript's safe range returns nil and changes nothing: Redis would store
 * any 64-bit sum, which then reads back as no number at all. Lua numbers are doubles, exact up
 * to 2^53, and an integer beyond 2^53 - 1 never rounds below 2^53, so the bound test is exact.
 * A text that is no integer is left to INCRBY, which refuses it as Redis always has. The sum
 * comes back as digits, not an integer reply: node-redis decodes integers near 2^53 inexactly.
 */
const SAFE_INCREMENT = script(
  'safe-increment',
  `local limit = 9007199254740991
local current = redis.call('GET', KEYS[1])
local n = current and tonumber(current)
if n and (math.abs(n) > limit or math.abs(n + tonumber(ARGV[1])) > limit) then return false end
local sum = redis.call('INCRBY', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return string.format('%.0f', sum)`,
);

/**
 * After a plain INCRBY whose reply reads near ±2^53 (where the client's parse of the reply may
 * be rounded): KEYS: key. ARGV: the delta. Reads the stored digits exactly; when they leave
 * the safe range, takes the delta back and answers nil.
 */
const SETTLE_INCREMENT = script(
  'settle-increment',
  `local limit = 9007199254740991
local current = redis.call('GET', KEYS[1])
local n = tonumber(current)
if n > limit or n < -limit then redis.call('DECRBY', KEYS[1], ARGV[1]) return false end
return current`,
);

/** Below this the client's reading of an integer reply is exact and the sum is safe. */
const EXACT_BELOW = 2 ** 53 - 2;

/**
 * INCRBY at the cost of one plain command, refusing a sum past the safe integer range as the
 * other backends do: Redis keeps 64-bit integers, which no reader could take back as a number.
 * Only a reply near the limit pays for SETTLE_INCREMENT's exact check (and undo).
 */
export async function safeIncrement(port: RedisPort, redisKey: string, key: string, delta: number): Promise<number> {
  const sum = Number(await port.command(redisKey, ['INCRBY', redisKey, String(delta)]));
  if (Math.abs(sum) < EXACT_BELOW) return sum;
  return checkedSum(await runScript(port, SETTLE_INCREMENT, [redisKey], [String(delta)]), key, delta);
}

/** The digits SAFE_INCREMENT or SETTLE_INCREMENT answered, as a number; their nil is the refusal. */
function checkedSum(reply: unknown, key: string, delta: number): number {
  if (reply === null || reply === undefined) throw outOfRange(key, delta);
  return Number(String(reply));
}

/** Arguments a plain command takes in one go; more go through ADD_MANY's chunks. */
const PLAIN_ARGS = 2_000;

type Arg = string | Buffer;
type Run = <T>(operation: string, body: () => Promise<T>) => Promise<T>;

const ms = (ttl: number) => String(Math.max(1, Math.ceil(ttl)));
const text = (value: unknown): string => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value));
const scoreOf = (value: unknown): number => (typeof value === 'number' ? value : Number(text(value)));

/** What Redis stores for a value: bytes and text as they are, numbers as their digits. */
function toRedis(value: unknown): Arg {
  if (Buffer.isBuffer(value) || typeof value === 'string') return value;
  return String(value);
}

/** Pairs of a reply: a flat RESP2 array, nested RESP3 pairs, a Map or an object (RESP3 maps). */
function pairsOf(reply: unknown): Array<[unknown, unknown]> {
  if (reply instanceof Map) return [...reply];
  if (Array.isArray(reply)) {
    if (reply.length > 0 && Array.isArray(reply[0])) return reply.map((pair) => [pair[0], pair[1]]);
    const pairs: Array<[unknown, unknown]> = [];
    for (let i = 0; i + 1 < reply.length; i += 2) pairs.push([reply[i], reply[i + 1]]);
    return pairs;
  }
  if (reply !== null && typeof reply === 'object') return Object.entries(reply);
  return [];
}

function listOf(reply: unknown): unknown[] {
  if (Array.isArray(reply)) return reply;
  if (reply instanceof Set) return [...reply];
  return [];
}

/** Redis's refusals as memoir's errors: another type at the key, a sum that is not an integer. */
export function structureError(error: unknown, key: string): unknown {
  const message = String((error as Error)?.message ?? error);
  if (/WRONGTYPE/.test(message)) {
    return new MemoirError('WRONG_TYPE', `redis: key ${JSON.stringify(key)} holds another kind of value than this structure (${message}).`, { cause: error });
  }
  if (/not an integer|out of range|overflow/i.test(message)) {
    return new MemoirError('NOT_A_NUMBER', `redis: the value of ${JSON.stringify(key)} is not an integer.`, { cause: error });
  }
  return error;
}

/** The refusal of a sum that would leave the safe integer range. */
function outOfRange(key: string, delta: number): MemoirError {
  return new MemoirError('NOT_A_NUMBER', `redis: adding ${delta} to the value of ${JSON.stringify(key)} leaves the safe integer range (or it holds an integer beyond it).`);
}

/** The structures of the cache whose Redis keys `keys` names: each operation gets the cache's built key. */
export function redisStructures(port: RedisPort, run: Run, keys: KvKeys): NativeStructures {
  const call = <T>(key: string, command: string, args: Arg[], read: (reply: unknown) => T): Promise<T> => {
    const redisKey = keys.toRedis(key);
    return run(command, () =>
      port.command(redisKey, [command, redisKey, ...args]).then(read, (error) => {
        throw structureError(error, key);
      }),
    );
  };
  const scripted = <T>(key: string, which: Script, args: Arg[], read: (reply: unknown) => T): Promise<T> =>
    run(`${which === WRITE_THEN_EXPIRE ? args[1] : which.name} (script)`, () =>
      runScript(port, which, [keys.toRedis(key)], args).then(read, (error) => {
        throw structureError(error, key);
      }),
    );
  /** One write: the plain command, or the command and PEXPIRE in one script. */
  const write = <T>(key: string, command: string, args: Arg[], ttl: number | undefined, read: (reply: unknown) => T): Promise<T> =>
    ttl === undefined ? call(key, command, args, read) : scripted(key, WRITE_THEN_EXPIRE, [ms(ttl), command, ...args], read);
  /** Adds items (pairs or members), in one plain command when it can. */
  const addMany = (key: string, command: string, step: number, items: Arg[], ttl: number | undefined, replace: boolean): Promise<number> => {
    if (items.length === 0 && !replace) return Promise.resolve(0);
    if (!replace && ttl === undefined && items.length <= PLAIN_ARGS) return call(key, command, items, Number);
    return scripted(key, ADD_MANY, [ttl === undefined ? '' : ms(ttl), replace ? '1' : '0', command, String(step), ...items], Number);
  };
  const popped = (reply: unknown): [number, string] | undefined => {
    const [pair] = pairsOf(reply);
    return pair ? [scoreOf(pair[1]), text(pair[0])] : undefined;
  };

  return {
    valueGet: (key) => call(key, 'GET', [], (reply) => reply ?? undefined),
    valueSet: (key, value, ttl) => call(key, 'SET', [toRedis(value), ...(ttl === undefined ? [] : ['PX', ms(ttl)])], () => undefined),
    valueAdd: (key, value, ttl) => call(key, 'SET', [toRedis(value), 'NX', ...(ttl === undefined ? [] : ['PX', ms(ttl)])], (reply) => reply !== null),
    valueIncrement: (key, delta, ttl) =>
      ttl === undefined
        ? run('INCRBY', () =>
            safeIncrement(port, keys.toRedis(key), key, delta).catch((error) => {
              throw structureError(error, key);
            }),
          )
        : scripted(key, SAFE_INCREMENT, [String(delta), ms(ttl)], (reply) => checkedSum(reply, key, delta)),

    hashGet: (key, field) => call(key, 'HGET', [field], (reply) => reply ?? undefined),
    hashHas: (key, field) => call(key, 'HEXISTS', [field], (reply) => reply === 1),
    hashSet: (key, entries, ttl, replace) =>
      addMany(key, 'HSET', 2, entries.flatMap(([field, value]) => [field, toRedis(value)]), ttl, replace),
    hashDelete: (key, field, ttl) => write(key, 'HDEL', [field], ttl, (reply) => reply === 1),
    hashSize: (key) => call(key, 'HLEN', [], Number),
    hashEntries: (key) => call(key, 'HGETALL', [], (reply) => pairsOf(reply).map(([field, value]): [string, unknown] => [text(field), value])),

    setAdd: (key, members, ttl, replace) => addMany(key, 'SADD', 1, [...members], ttl, replace),
    setHas: (key, member) => call(key, 'SISMEMBER', [member], (reply) => reply === 1),
    setDelete: (key, member, ttl) => write(key, 'SREM', [member], ttl, (reply) => reply === 1),
    setSize: (key) => call(key, 'SCARD', [], Number),
    setMembers: (key) => call(key, 'SMEMBERS', [], (reply) => listOf(reply).map(text)),

    zsetAdd: (key, entries, ttl, replace) =>
      addMany(key, 'ZADD', 2, entries.flatMap(([score, member]) => [String(score), member]), ttl, replace),
    zsetScore: (key, member) => call(key, 'ZSCORE', [member], (reply) => (reply === null || reply === undefined ? undefined : scoreOf(reply))),
    zsetDelete: (key, member, ttl) => write(key, 'ZREM', [member], ttl, (reply) => reply === 1),
    zsetPop: (key, max, ttl) => write(key, max ? 'ZPOPMAX' : 'ZPOPMIN', [], ttl, popped),
    zsetRange: (key, start, stop) =>
      call(key, 'ZRANGE', [String(start), String(stop), 'WITHSCORES'], (reply) =>
        pairsOf(reply).map(([member, score]): [number, string] => [scoreOf(score), text(member)]),
      ),
    zsetSize: (key) => call(key, 'ZCARD', [], Number),
  };
}
