import { MemoirError } from '../errors';

/**
 * Directed "parent → dependent" edges between cache names. Edges are kept by name, not by
 * cache object, so a dependency can be declared before either cache exists (a memoized
 * function declares `dependsOn: ['raw']` long before anyone registers 'raw').
 *
 * All walks are iterative: a chain of thousands of caches must not hit the call-stack limit.
 */
export class DependencyGraph {
  private readonly dependents = new Map<string, Set<string>>();

  /**
   * Adds `parent → dependent`. Adding an existing edge is a no-op. An edge that would close a
   * cycle is refused with a DEPENDENCY_CYCLE error naming the whole cycle, and the graph is
   * left unchanged.
   */
  addEdge(parent: string, dependent: string): void {
    if (this.dependents.get(parent)?.has(dependent)) return;
    const back = this.pathBetween(dependent, parent);
    if (back) {
      const cycle = [parent, ...back].join(' → ');
      throw new MemoirError(
        'DEPENDENCY_CYCLE',
        `Cannot make "${dependent}" depend on "${parent}": that closes the cycle ${cycle}.`,
      );
    }
    let set = this.dependents.get(parent);
    if (!set) this.dependents.set(parent, (set = new Set()));
    set.add(dependent);
  }

  /** The direct dependents of `name` (empty when it has none). */
  directDependentsOf(name: string): string[] {
    return [...(this.dependents.get(name) ?? [])];
  }

  /** Removes `name` and every edge to or from it. */
  forget(name: string): void {
    this.dependents.delete(name);
    for (const [parent, set] of this.dependents) {
      if (set.delete(name) && set.size === 0) this.dependents.delete(parent);
    }
  }

  /** True when `name` appears in any edge. */
  mentions(name: string): boolean {
    if (this.dependents.has(name)) return true;
    for (const set of this.dependents.values()) if (set.has(name)) return true;
    return false;
  }

  /**
   * `name` followed by everything that depends on it, directly or transitively, each name
   * exactly once (a diamond's bottom is listed once), parents before their dependents in
   * breadth-first order.
   */
  closureOf(name: string): string[] {
    const order = [name];
    const seen = new Set(order);
    for (let i = 0; i < order.length; i++) {
      for (const next of this.dependents.get(order[i]) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          order.push(next);
        }
      }
    }
    return order;
  }

  /** A path `from → … → to` along edges (both ends included), or undefined when none. */
  private pathBetween(from: string, to: string): string[] | undefined {
    const cameFrom = new Map<string, string | undefined>([[from, undefined]]);
    const queue = [from];
    for (let i = 0; i < queue.length; i++) {
      const current = queue[i];
      if (current === to) {
        const path: string[] = [];
        for (let at: string | undefined = current; at !== undefined; at = cameFrom.get(at)) {
          path.push(at);
        }
        return path.reverse();
      }
      for (const next of this.dependents.get(current) ?? []) {
        if (!cameFrom.has(next)) {
          cameFrom.set(next, current);
          queue.push(next);
        }
      }
    }
    return undefined;
  }
}
