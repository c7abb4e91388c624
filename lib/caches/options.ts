import type { CacheOptions, CachePlugin, CacheSerializer, SerializerName } from '../contract';
import { describe, invalidOption, MemoirError } from '../errors';
import type { MemoirEvent } from '../contract';
import { parseDuration, parseTimerDuration } from '../units';
import { resolvePlugins } from './plugins';
import { checkSerializer } from './serializers';

/** The options every cache shares, parsed once when it is built. */
export interface CacheSettings {
  backend: string;
  namespace: string;
  keyBuilder: ((key: string, namespace: string) => string) | undefined;
  /** Default time to live in ms; undefined: never expires. */
  ttl: number | undefined;
  serializer: SerializerName | CacheSerializer;
  plugins: CachePlugin[];
  /** Default per-command limit in ms; 0: none. */
  timeout: number;
  clock: () => number;
  onEvent: ((event: MemoirEvent) => void) | undefined;
}

const COMMON_OPTIONS = ['backend', 'namespace', 'keyBuilder', 'ttl', 'serializer', 'plugins', 'timeout', 'clock', 'onEvent'];
export const DEFAULT_TIMEOUT = '5s';

/** A time to live in ms: 0 (or none given) means no expiry. */
export function parseTtl(value: unknown, option = 'ttl'): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value as string | number, option);
  return ms === 0 ? undefined : ms;
}

export function parseTimeout(value: unknown, option = 'timeout'): number {
  return parseTimerDuration(value as string | number, option);
}

/**
 * Validates `options` for a cache of `backend` (whose own option names are `own`) and parses
 * the common ones. An option nobody knows is an error, so a typo in an alias fails loudly.
 */
export function parseCacheOptions(
  backend: string,
  options: CacheOptions & Record<string, unknown>,
  own: readonly string[],
  defaults: { serializer: SerializerName },
): CacheSettings {
  if (typeof options !== 'object' || options === null) throw invalidOption('options', options, 'an options object');
  for (const name of Object.keys(options)) {
    if (!COMMON_OPTIONS.includes(name) && !own.includes(name)) {
      throw new MemoirError(
        'INVALID_OPTION',
        `Unknown option "${name}" for a ${backend} cache; accepted: ${[...COMMON_OPTIONS.filter((o) => o !== 'backend'), ...own].join(', ')}.`,
      );
    }
  }
  const { namespace = '', keyBuilder, clock, onEvent } = options;
  if (typeof namespace !== 'string') throw invalidOption('namespace', namespace, 'a string');
  if (keyBuilder !== undefined && typeof keyBuilder !== 'function') throw invalidOption('keyBuilder', keyBuilder, 'a function (key, namespace) => string');
  if (clock !== undefined && typeof clock !== 'function') throw invalidOption('clock', clock, 'a function returning epoch milliseconds');
  if (onEvent !== undefined && typeof onEvent !== 'function') throw invalidOption('onEvent', onEvent, 'a function (event) => void');
  return {
    backend,
    namespace,
    keyBuilder,
    ttl: parseTtl(options.ttl),
    serializer: options.serializer === undefined ? defaults.serializer : checkSerializer(options.serializer),
    plugins: resolvePlugins(options.plugins),
    timeout: parseTimeout(options.timeout ?? DEFAULT_TIMEOUT),
    clock: clock ?? Date.now,
    onEvent,
  };
}

/** Keys are strings; anything else is refused rather than stringified into a collision. */
export function checkKey(key: unknown): string {
  if (typeof key === 'string') return key;
  throw new MemoirError('INVALID_KEY', `A cache key must be a string; got ${describe(key)}.`);
}
