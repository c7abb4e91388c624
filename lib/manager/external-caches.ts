/** A cache whose entries live elsewhere (a memoized function's backend). */
export interface ExternalCache {
  /** Fences in-flight calculations synchronously, then clears the stored entries. */
  invalidate(): void | Promise<void>;
}

/** How the manager holds a registration. */
export interface ExternalRegistrationOptions {
  /**
   * Hold the cache weakly: the registration ends when nothing else references the cache
   * object (the registrant must keep it alive as long as it should be reachable by name).
   * For caches whose entries die with them (memory functions named by memoir), so a program
   * that creates such functions per request does not keep every one of them forever.
   */
  weak?: boolean;
}

type Held = { strong: ExternalCache } | { weak: WeakRef<ExternalCache> };

/**
 * The memoized functions' caches of one manager, by name. Strong registrations stay until
 * replaced; weak ones also end when their cache object is garbage-collected, and then
 * `onCollected(name)` lets the manager forget what else it kept under that name (edges).
 */
export class ExternalCaches {
  private readonly held = new Map<string, Held>();
  private readonly finalizer: FinalizationRegistry<{ name: string; held: Held }>;

  constructor(onCollected: (name: string) => void) {
    this.finalizer = new FinalizationRegistry(({ name, held }) => {
      // A newer registration under the same name is not touched.
      if (this.held.get(name) !== held) return;
      this.held.delete(name);
      onCollected(name);
    });
  }

  set(name: string, cache: ExternalCache, options: ExternalRegistrationOptions = {}): void {
    // A replaced weak registration is not unregistered from the finalizer (unregister tokens
    // cost more than they save): its callback finds a newer registration and leaves it.
    if (options.weak) {
      const held: Held = { weak: new WeakRef(cache) };
      this.held.set(name, held);
      this.finalizer.register(cache, { name, held });
    } else {
      this.held.set(name, { strong: cache });
    }
  }

  get(name: string): ExternalCache | undefined {
    const held = this.held.get(name);
    if (!held) return undefined;
    return 'strong' in held ? held.strong : held.weak.deref();
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Names of the registrations still alive, in registration order. */
  names(): string[] {
    return [...this.held.keys()].filter((name) => this.has(name));
  }

  /** How many registrations are held (dead weak ones not yet finalized included). */
  get size(): number {
    return this.held.size;
  }
}
