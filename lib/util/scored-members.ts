/**
 * A sorted set kept in this process: members by score, ties by member text, as Redis orders a
 * ZSET. The memory backend holds one per SortedSetCache key; the structures built on the
 * key-value commands load one from the stored value, change it, and store it back.
 */

/**
 * Code-point order, which is the byte order of the strings' UTF-8: how Redis orders members of
 * equal score, so every backend ranks ties alike. (`<` compares UTF-16 code units, which put
 * U+E000..U+FFFF after the astral characters.)
 */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (0xD800-0xDFFF) starts a code point above every BMP character.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

export type ScoredMember = [score: number, member: string];

function compareEntries(a: ScoredMember, b: ScoredMember): number {
  return a[0] - b[0] || compareText(a[1], b[1]);
}

/**
 * The inclusive rank window `[from, to]` of ZRANGE start stop over `size` members (negative
 * ranks count from the end), or undefined when it is empty.
 */
export function rankWindow(size: number, start: number, stop: number): [number, number] | undefined {
  let from = start < 0 ? size + start : start;
  let to = stop < 0 ? size + stop : stop;
  if (from < 0) from = 0;
  if (to >= size) to = size - 1;
  return from > to ? undefined : [from, to];
}

export class ScoredMembers {
  private readonly scores = new Map<string, number>();
  /** Ascending by score, then member text. */
  private order: ScoredMember[] = [];

  /** From `[score, member]` pairs in any order; a repeated member keeps its last score. */
  static from(entries: Iterable<readonly [number, string]>): ScoredMembers {
    const set = new ScoredMembers();
    for (const [score, member] of entries) set.scores.set(member, score);
    set.order = [...set.scores].map(([member, score]): ScoredMember => [score, member]);
    set.order.sort(compareEntries); // already sorted when it comes from storage: linear
    return set;
  }

  get size(): number {
    return this.order.length;
  }

  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  /** Adds `member` or moves it to `score`; true when it was new. */
  add(score: number, member: string): boolean {
    const old = this.scores.get(member);
    if (old === score) return false;
    if (old !== undefined) this.order.splice(this.indexOf([old, member]), 1);
    this.scores.set(member, score);
    const entry: ScoredMember = [score, member];
    this.order.splice(this.indexOf(entry), 0, entry);
    return old === undefined;
  }

  delete(member: string): boolean {
    const score = this.scores.get(member);
    if (score === undefined) return false;
    this.scores.delete(member);
    this.order.splice(this.indexOf([score, member]), 1);
    return true;
  }

  /** Removes and returns the lowest entry (`max`: the highest). */
  pop(max: boolean): ScoredMember | undefined {
    const entry = max ? this.order.pop() : this.order.shift();
    if (entry) this.scores.delete(entry[1]);
    return entry;
  }

  /** Entries by rank, both ends inclusive, negative ranks from the end. */
  range(start: number, stop: number): ScoredMember[] {
    const window = rankWindow(this.order.length, start, stop);
    return window ? this.order.slice(window[0], window[1] + 1).map(([score, member]): ScoredMember => [score, member]) : [];
  }

  /** Every entry in order (a copy). */
  entries(): ScoredMember[] {
    return this.range(0, -1);
  }

  /** Where `entry` is, or would be inserted: the first position not below it. */
  private indexOf(entry: ScoredMember): number {
    let low = 0;
    let high = this.order.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareEntries(this.order[middle], entry) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
