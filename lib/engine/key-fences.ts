/**
 * Per-key fencing for `invalidate(...args)`: a calculation of a key that was running when the
 * key was invalidated still answers its callers but must not store its (pre-invalidation)
 * result. Whole-cache invalidation fences through the memo's epoch; this is the one-key form.
 *
 * State exists only while calculations run: the invalidation marks are dropped when the last
 * running calculation of the function ends, so invalidating many keys costs no memory.
 */
export class KeyFences {
  /** Calculations running now. */
  private running = 0;
  /** Ticket of the latest calculation to start. */
  private ticket = 0;
  /** Key → the latest ticket issued when the key was invalidated. */
  private readonly fenced = new Map<string, number>();

  /** Called as a calculation starts; returns its ticket. */
  enter(): number {
    this.running++;
    return ++this.ticket;
  }

  /** Called as a calculation ends (stored, fenced or failed). */
  leave(): void {
    if (--this.running === 0) this.fenced.clear();
  }

  /** Fences the calculations of `key` running now. */
  fence(key: string): void {
    if (this.running > 0) this.fenced.set(key, this.ticket);
  }

  /** True when `key` was invalidated after the calculation holding `ticket` started. */
  isFenced(key: string, ticket: number): boolean {
    const fencedAt = this.fenced.get(key);
    return fencedAt !== undefined && fencedAt >= ticket;
  }
}
