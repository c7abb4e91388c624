import { caches } from '../caches';
import type { KeyValueCache } from '../contract';
import { describe, invalidOption, MemoirError } from '../errors';
import { parseDuration } from '../units';

/**
 * A structure class's settings, from its static fields (inherited and overridable like any
 * static): `prefix`, `ttl`, `serialize`, `cache`. They are read at each operation, so a field
 * changed later (a test, a deploy that bumps the prefix) applies from then on; the parsed form
 * is remembered while the fields stay the same.
 */
export interface StructureClass {
  readonly name: string;
  prefix?: string;
  ttl?: number | string;
  serialize?: boolean;
  cache?: string | KeyValueCache;
}

export interface Settings {
  /** Time to live of the whole structure in ms; undefined: the cache's default. */
  ttl: number | undefined;
  /** `serialize = false`: values and members stored as raw text. */
  raw: boolean;
  /** The cache, resolved now (an alias is looked up at each use, so `caches.setConfig` applies). */
  cache: KeyValueCache;
}

interface Parsed {
  ttlField: unknown;
  serializeField: unknown;
  ttl: number | undefined;
  raw: boolean;
}

const parsed = new WeakMap<StructureClass, Parsed>();

export function settingsOf(Class: StructureClass): Settings {
  let known = parsed.get(Class);
  if (!known || known.ttlField !== Class.ttl || known.serializeField !== Class.serialize) {
    known = { ttlField: Class.ttl, serializeField: Class.serialize, ttl: ttlOf(Class), raw: rawOf(Class) };
    parsed.set(Class, known);
  }
  return { ttl: known.ttl, raw: known.raw, cache: cacheOf(Class) };
}

function ttlOf(Class: StructureClass): number | undefined {
  if (Class.ttl === undefined) return undefined;
  const ms = parseDuration(Class.ttl, `static ttl of ${Class.name}`);
  return ms === 0 ? undefined : ms;
}

function rawOf(Class: StructureClass): boolean {
  const serialize = Class.serialize ?? true;
  if (typeof serialize !== 'boolean') throw invalidOption(`static serialize of ${Class.name}`, serialize, 'true (the default) or false (raw strings and numbers)');
  return !serialize;
}

function cacheOf(Class: StructureClass): KeyValueCache {
  const cache = Class.cache ?? 'default';
  if (typeof cache === 'string') return caches.get(cache);
  const candidate = cache as Partial<KeyValueCache> | null;
  if (typeof candidate === 'object' && candidate !== null && typeof candidate.get === 'function' && typeof candidate.optimisticLock === 'function') return cache;
  throw invalidOption(`static cache of ${Class.name}`, cache, "an alias name (default 'default') or a key-value cache (createCache(...), caches.get(...))");
}

/** The prefix, checked: a string, or none. */
export function prefixOf(Class: StructureClass): string | undefined {
  const prefix = Class.prefix;
  if (prefix === undefined || prefix === '') return undefined;
  if (typeof prefix !== 'string') throw invalidOption(`static prefix of ${Class.name}`, prefix, 'a string');
  return prefix;
}

/** A key's parts: one part or a list of them; each is `String()`-ed. */
export type KeyPart = string | number | bigint | boolean;
export type KeyParts = KeyPart | readonly KeyPart[];

/** The full key: the class's prefix and the parts, joined with '.'. */
export function keyOf(Class: StructureClass, parts: KeyParts): string {
  const list: readonly unknown[] = Array.isArray(parts) ? parts : [parts];
  const texts: string[] = [];
  const prefix = prefixOf(Class);
  if (prefix !== undefined) texts.push(prefix);
  for (const part of list) {
    const type = typeof part;
    if (type !== 'string' && type !== 'number' && type !== 'bigint' && type !== 'boolean') {
      throw new MemoirError(
        'INVALID_ARGUMENT',
        `Invalid key part ${describe(part)} of a ${Class.name}: key parts are strings, numbers, bigints or booleans (each is String()-ed and joined with '.').`,
      );
    }
    texts.push(String(part));
  }
  if (texts.length === 0 || (texts.length === 1 && texts[0] === '')) {
    throw new MemoirError('INVALID_ARGUMENT', `A ${Class.name} needs a key: give it key parts, or the class a \`static prefix\`.`);
  }
  return texts.join('.');
}
