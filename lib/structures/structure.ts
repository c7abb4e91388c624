import type { KeyValueCache } from '../contract';
import type { Duration } from '../units';
import type { StructureBackend } from './backend';
import { backendOf } from './backend-of';
import { CANONICAL_MEMBERS, type MemberCodec, RAW_MEMBERS } from './members';
import { type KeyParts, keyOf, type Settings, type StructureClass, settingsOf } from './settings';

/** What every structure's constructor takes besides its key. */
export interface StructureOptions<D> {
  /** The structure's contents, written at construction (replacing what the key held). */
  data?: D;
}

/** One operation's context: the backend, the key, the ttl, how members are stored. */
export interface Operation {
  backend: StructureBackend;
  key: string;
  ttl: number | undefined;
  members: MemberCodec;
  settings: Settings;
}

/**
 * The common part of ValueCache, DictCache, SetCache, SortedSetCache and SentinelCache: the
 * key, the class's settings, and the initial `data` write that every operation waits for.
 */
export abstract class Structure {
  /** Every key starts with it (`MyCache.foo`); change it to leave all earlier entries behind. Default none. */
  static prefix: string | undefined = undefined;
  /** Time to live of the whole structure, refreshed by every write. Default: the cache's own `ttl` (none unless it sets one). */
  static ttl: Duration | undefined = undefined;
  /** false: values and members are stored as raw strings and numbers (other clients read them as they are). Default true. */
  static serialize = true;
  /** The key-value cache: an alias name (`caches`) or a cache. Default the `'default'` alias (in-process memory unless configured). */
  static cache: string | KeyValueCache = 'default';

  /** The full key: the class's prefix and the parts, joined with '.'. */
  readonly key: string;
  private pending: Promise<void> | undefined;

  constructor(parts: KeyParts, data?: { present: boolean; value: unknown }) {
    this.key = keyOf(this.constructor as StructureClass, parts);
    if (data?.present) {
      // After the subclass's constructor: the write may use what it sets up.
      const written = Promise.resolve().then(() => this.initialize(data.value));
      this.pending = written;
      written.catch(() => undefined); // surfaces at the next operation (and from ready())
    }
  }

  /** Resolves once the constructor's `data` is stored; rejects if that write failed. */
  async ready(): Promise<this> {
    await this.pending;
    return this;
  }

  /** Writes the constructor's `data`. */
  protected abstract initialize(data: unknown): Promise<void>;

  /** The context of one operation, after the initial write (a failure of which is thrown once). */
  protected async operation(): Promise<Operation> {
    if (this.pending) {
      const pending = this.pending;
      try {
        await pending;
      } finally {
        if (this.pending === pending) this.pending = undefined;
      }
    }
    return this.context();
  }

  /** The context without waiting: for the initial write itself. */
  protected context(): Operation {
    const settings = settingsOf(this.constructor as StructureClass);
    return {
      backend: backendOf(settings.cache, settings.raw),
      key: this.key,
      ttl: settings.ttl,
      members: settings.raw ? RAW_MEMBERS : CANONICAL_MEMBERS,
      settings,
    };
  }
}

/** The `data` option as the constructor passes it on: present (even when undefined) or not. */
export function dataOf<D>(options: StructureOptions<D> | undefined): { present: boolean; value: unknown } {
  return { present: options !== undefined && options !== null && 'data' in options, value: options?.data };
}
