import { incremented, type NativeStructures } from '../../lib/contract';
import { MemoirError } from '../../lib/errors';
import { ScoredMembers } from '../../lib/util';
import type { Slot, Slots } from './slots';

/**
 * Native structures of the memory store: a hash is a Map, a set a Set, a sorted set a
 * ScoredMembers, held in the key's slot and changed in place (each change bumps the slot's
 * version, so an optimistic read of the key conflicts, and moves its expiry when a ttl is
 * given). Every operation is synchronous, hence atomic in this process. A structure whose last
 * member goes is removed, as Redis does.
 */
class MemoryHash extends Map<string, unknown> {}
class MemorySet extends Set<string> {}
type Structure = MemoryHash | MemorySet | ScoredMembers;
type Kind = typeof MemoryHash | typeof MemorySet | typeof ScoredMembers;

const KIND_NAMES = new Map<Kind, string>([
  [MemoryHash, 'a DictCache'],
  [MemorySet, 'a SetCache'],
  [ScoredMembers, 'a SortedSetCache'],
]);

function kindOf(value: unknown): string {
  for (const [kind, name] of KIND_NAMES) if (value instanceof kind) return name;
  return 'a plain value';
}

function wrongType(key: string, found: unknown, wanted: string): MemoirError {
  return new MemoirError('WRONG_TYPE', `memory cache: key ${JSON.stringify(key)} holds ${kindOf(found)}, not ${wanted}.`);
}

export function memoryStructures(slots: Slots): NativeStructures {
  /** The structure of kind `kind` at `key`, undefined when absent; WRONG_TYPE when the key holds something else. */
  function find<S extends Structure>(key: string, kind: new () => S): { slot: Slot; structure: S } | undefined {
    const slot = slots.live(key);
    if (!slot) return undefined;
    if (!(slot.value instanceof kind)) throw wrongType(key, slot.value, KIND_NAMES.get(kind as unknown as Kind)!);
    return { slot, structure: slot.value };
  }

  /** The structure to write into: the existing one (emptied when `replace`), or a new one. */
  function open<S extends Structure>(key: string, kind: new () => S, replace: boolean): { slot: Slot | undefined; structure: S } {
    const found = replace ? undefined : find(key, kind);
    return found ?? { slot: undefined, structure: new kind() };
  }

  /** After a write: store a new structure, bump an existing one, drop an empty one. */
  function settle(key: string, slot: Slot | undefined, structure: Structure, ttl: number | undefined): void {
    if (structure.size === 0) slots.remove(key);
    else if (slot && slot.value === structure) slots.touched(slot, ttl);
    else slots.write(key, structure, slots.expiryOf(ttl));
  }

  function remove<S extends Structure & { delete(member: string): boolean }>(key: string, kind: new () => S, member: string, ttl: number | undefined): boolean {
    const found = find(key, kind);
    if (!found?.structure.delete(member)) return false;
    settle(key, found.slot, found.structure, ttl);
    return true;
  }

  return {
    valueGet(key) {
      const slot = slots.live(key);
      if (slot && kindOf(slot.value) !== 'a plain value') throw wrongType(key, slot.value, 'a plain value');
      return slot?.value;
    },
    valueSet(key, value, ttl) {
      slots.write(key, value, slots.expiryOf(ttl));
    },
    valueAdd(key, value, ttl) {
      if (slots.live(key)) return false;
      slots.write(key, value, slots.expiryOf(ttl));
      return true;
    },
    valueIncrement(key, delta, ttl) {
      const slot = slots.live(key);
      const next = incremented(key, slot?.value, delta);
      slots.write(key, next, ttl === undefined ? (slot?.expiresAt ?? 0) : slots.expiryOf(ttl));
      return next;
    },

    hashGet: (key, field) => find(key, MemoryHash)?.structure.get(field),
    hashHas: (key, field) => find(key, MemoryHash)?.structure.has(field) ?? false,
    hashSet(key, entries, ttl, replace) {
      const { slot, structure } = open(key, MemoryHash, replace);
      let added = 0;
      for (const [field, value] of entries) {
        if (!structure.has(field)) added++;
        structure.set(field, value);
      }
      settle(key, slot, structure, ttl);
      return added;
    },
    hashDelete: (key, field, ttl) => remove(key, MemoryHash, field, ttl),
    hashSize: (key) => find(key, MemoryHash)?.structure.size ?? 0,
    hashEntries: (key) => [...(find(key, MemoryHash)?.structure ?? [])],

    setAdd(key, members, ttl, replace) {
      const { slot, structure } = open(key, MemorySet, replace);
      const before = structure.size;
      for (const member of members) structure.add(member);
      const added = structure.size - before;
      settle(key, slot, structure, ttl);
      return added;
    },
    setHas: (key, member) => find(key, MemorySet)?.structure.has(member) ?? false,
    setDelete: (key, member, ttl) => remove(key, MemorySet, member, ttl),
    setSize: (key) => find(key, MemorySet)?.structure.size ?? 0,
    setMembers: (key) => [...(find(key, MemorySet)?.structure ?? [])],

    zsetAdd(key, entries, ttl, replace) {
      const { slot, structure } = open(key, ScoredMembers, replace);
      let added = 0;
      for (const [score, member] of entries) if (structure.add(score, member)) added++;
      settle(key, slot, structure, ttl);
      return added;
    },
    zsetScore: (key, member) => find(key, ScoredMembers)?.structure.score(member),
    zsetDelete: (key, member, ttl) => remove(key, ScoredMembers, member, ttl),
    zsetPop(key, max, ttl) {
      const found = find(key, ScoredMembers);
      const popped = found?.structure.pop(max);
      if (found && popped) settle(key, found.slot, found.structure, ttl);
      return popped;
    },
    zsetRange: (key, start, stop) => find(key, ScoredMembers)?.structure.range(start, stop) ?? [],
    zsetSize: (key) => find(key, ScoredMembers)?.structure.size ?? 0,
  };
}
