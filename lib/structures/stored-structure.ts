import { describe, MemoirError } from '../errors';
import { ScoredMembers } from '../util';

/**
 * How a structure is stored where the backend has no hashes or sets of its own (file, SQL,
 * mongo, custom backends): the whole structure as ONE value of the key-value cache, a plain
 * object its serializer writes like any other value:
 *
 *   { type: 'dict', entries: [[field, value], ...] }
 *   { type: 'set',  members: [member, ...] }
 *   { type: 'zset', entries: [[score, member], ...] }      sorted by score, then member
 *
 * Fields and members are their text (members.ts); dict values are as given (serialized with
 * the rest by the cache's serializer) or raw text. One value per structure is what makes the
 * whole-structure time to live exact (it is that value's ttl, refreshed by every write) and
 * every change atomic: it is one compare-and-set of that value.
 */
export type StructureType = 'dict' | 'set' | 'zset';

export type StoredStructure =
  | { type: 'dict'; entries: Array<[string, unknown]> }
  | { type: 'set'; members: string[] }
  | { type: 'zset'; entries: Array<[number, string]> };

const NAMES: Record<StructureType, string> = { dict: 'a DictCache', set: 'a SetCache', zset: 'a SortedSetCache' };

/** The structure stored under `key`, as an in-process one; empty when the key is absent. */
export function loadDict(stored: unknown, key: string): Map<string, unknown> {
  return new Map(check(stored, 'dict', key)?.entries);
}

export function loadSet(stored: unknown, key: string): Set<string> {
  return new Set(check(stored, 'set', key)?.members);
}

export function loadZset(stored: unknown, key: string): ScoredMembers {
  return ScoredMembers.from(check(stored, 'zset', key)?.entries ?? []);
}

export const saveDict = (dict: Map<string, unknown>): StoredStructure => ({ type: 'dict', entries: [...dict] });
export const saveSet = (set: Set<string>): StoredStructure => ({ type: 'set', members: [...set] });
export const saveZset = (zset: ScoredMembers): StoredStructure => ({ type: 'zset', entries: zset.entries() });

/** The stored structure if it is one of `type`; undefined when absent; WRONG_TYPE otherwise. */
export function check<T extends StructureType>(stored: unknown, type: T, key: string): Extract<StoredStructure, { type: T }> | undefined {
  if (stored === undefined) return undefined;
  const candidate = stored as Partial<Record<'type' | 'entries' | 'members', unknown>> | null;
  const list = type === 'set' ? candidate?.members : candidate?.entries;
  if (candidate?.type === type && Array.isArray(list)) return stored as Extract<StoredStructure, { type: T }>;
  const found = typeof candidate?.type === 'string' && candidate.type in NAMES ? NAMES[candidate.type as StructureType] : `a plain value (${describe(stored)})`;
  throw new MemoirError('WRONG_TYPE', `Key ${JSON.stringify(key)} holds ${found}, not ${NAMES[type]}.`);
}
