/**
 * The Redis keys of one memoized function's entries:
 *
 *   {memoir:<name>:<key>}:value   the completed value (a string: header + serialized bytes)
 *   {memoir:<name>:<key>}:lease   the being-calculated mark (a string with a PX expiry)
 *
 * Both keys of an entry share one hash tag (the part in braces), so they live in one cluster
 * slot and every script that touches an entry runs on a cluster. The name is escaped so it
 * holds no ':' (a function named `a` with key `b:c` never meets one named `a:b` with key `c`),
 * and neither part holds a brace (which would end the hash tag early).
 */

const VALUE_SUFFIX = ':value';
const LEASE_SUFFIX = ':lease';
/** A change message that stands for "every key of the namespace" (clear): never an escaped key. */
export const ALL_KEYS_MESSAGE = '%';

const escapeName = (name: string) => name.replace(/[%:{}]/g, percent);
const escapeKey = (key: string) => key.replace(/[%{}]/g, percent);
const percent = (char: string) =>
  `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
const unescapePart = (text: string) =>
  text.replace(/%([0-9A-F]{2})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );

/** SCAN MATCH is a glob: the escaped name may still hold `*`, `?`, `[`, `]` or `\`. */
const globEscape = (text: string) => text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);

export interface EntryKeys {
  value: string;
  lease: string;
}

/** Key naming for one namespace. `prefix` is an ioredis `keyPrefix` (the client adds it to keys). */
export class Namespace {
  private readonly tagStart: string;
  /** The pub/sub channel on which writes and releases of this namespace are announced. */
  readonly channel: string;

  constructor(
    readonly name: string,
    private readonly prefix = '',
  ) {
    this.tagStart = `{memoir:${escapeName(name)}:`;
    this.channel = `${prefix}memoir:changed:${escapeName(name)}`;
  }

  entry(key: string): EntryKeys {
    const tag = `${this.tagStart}${escapeKey(key)}}`;
    return { value: tag + VALUE_SUFFIX, lease: tag + LEASE_SUFFIX };
  }

  /** The message announcing a change of `key` on `channel`. */
  message(key: string): string {
    return escapeKey(key);
  }

  /** The key a change message names, or undefined for "all keys". */
  keyOfMessage(message: string): string | undefined {
    return message === ALL_KEYS_MESSAGE ? undefined : unescapePart(message);
  }

  /** SCAN patterns, as the server sees keys (prefix included): all keys, values, leases. */
  pattern(which: 'all' | 'value' | 'lease'): string {
    const start = globEscape(this.prefix + this.tagStart);
    if (which === 'all') return `${start}*`;
    return `${start}*}${which === 'value' ? VALUE_SUFFIX : LEASE_SUFFIX}`;
  }

  /** A key as SCAN returned it → the key the client expects (ioredis adds its prefix again). */
  unprefixed(serverKey: string): string {
    return this.prefix && serverKey.startsWith(this.prefix)
      ? serverKey.slice(this.prefix.length)
      : serverKey;
  }

  /** The argument key of a Redis key of this namespace (prefix optional), or undefined. */
  argumentKey(redisKey: string): string | undefined {
    const key = this.unprefixed(redisKey);
    if (!key.startsWith(this.tagStart)) return undefined;
    const end = key.indexOf('}', this.tagStart.length);
    if (end < 0) return undefined;
    const suffix = key.slice(end + 1);
    if (suffix !== VALUE_SUFFIX && suffix !== LEASE_SUFFIX) return undefined;
    return unescapePart(key.slice(this.tagStart.length, end));
  }

  /** Whether a Redis key of this namespace holds a value (else a lease). */
  static isValueKey(redisKey: string): boolean {
    return redisKey.endsWith(VALUE_SUFFIX);
  }
}

/** The namespace a Redis key belongs to (for the CLI's listing), or undefined if it is not memoir's. */
export function parseRedisKey(
  redisKey: string,
): { name: string; key: string; kind: 'value' | 'lease' } | undefined {
  const match = /^\{memoir:([^:{}]*):([^{}]*)\}:(value|lease)$/.exec(redisKey);
  if (!match) return undefined;
  return {
    name: unescapePart(match[1]!),
    key: unescapePart(match[2]!),
    kind: match[3] as 'value' | 'lease',
  };
}

/** SCAN pattern matching every memoir key (after an optional prefix). */
export function everyMemoirKey(prefix = ''): string {
  return `${globEscape(prefix)}{memoir:*`;
}
