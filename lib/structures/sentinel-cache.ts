import type { KeyParts } from './settings';
import { dataOf, Structure, type StructureOptions } from './structure';

/**
 * A gate: `claim()` resolves true for exactly one caller, across processes and machines
 * sharing the cache, until the mark expires (`static ttl`) or is cleared; everyone else gets
 * false. It is one atomic "store if absent" (Redis `SET NX PX`), never a check then a write.
 *
 *   const gate = new SentinelCache(['daily-report', today]);
 *   if (await gate.claim()) await sendReport();
 */
export class SentinelCache extends Structure {
  /** `data: true` marks it claimed at construction, `data: false` clears it. */
  constructor(key: KeyParts, options?: StructureOptions<boolean>) {
    super(key, dataOf(options));
  }

  protected async initialize(data: unknown): Promise<void> {
    const { backend, key, ttl } = this.context();
    if (data) await backend.valueSet(key, 1, ttl);
    else await backend.delete(key);
  }

  /** True for the one caller that set the mark; false while it is set. */
  async claim(): Promise<boolean> {
    const { backend, key, ttl } = await this.operation();
    return backend.claim(key, ttl);
  }

  /** Whether the mark is set. */
  async isClaimed(): Promise<boolean> {
    const { backend, key } = await this.operation();
    return backend.exists(key);
  }

  /** Removes the mark, so the next `claim()` succeeds; whether it was set. */
  async clear(): Promise<boolean> {
    const { backend, key } = await this.operation();
    return backend.delete(key);
  }
}
