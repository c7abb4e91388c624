import type { KeyValueCache } from '../contract';
import { describe, MemoirError } from '../errors';
import { createCache, factoryOf } from './backends';
import { type AliasConfig, configFromEnvironment, dsnSources } from './dsn';

/**
 * Caches configured by name, like Django's CACHES: `caches.get(alias)` builds the alias's cache
 * on first use and returns that instance every time; `caches.create(alias, overrides)` builds
 * a new one. The initial configuration comes from the environment's DSNs (dsn.ts), read when
 * `caches` is first used, plus a `default` alias on memory unless a DSN or `setConfig` says
 * otherwise.
 */
export type CachesConfig = Record<string, AliasConfig>;

const IMPLICIT_DEFAULT: AliasConfig = { backend: 'memory' };

/** A copy the caller can change freely (functions and plugin objects are shared, not cloned). */
function copyOf(config: AliasConfig): AliasConfig {
  const copy: AliasConfig = { ...config };
  for (const [name, value] of Object.entries(copy)) {
    if (Array.isArray(value)) copy[name] = [...value];
    else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) copy[name] = { ...value };
  }
  return copy;
}

/**
 * Validates one alias now, so a bad configuration fails where it is given: built-in backends
 * are built (their constructors never connect) and closed at once; a registered backend's
 * factory is only looked up, since building one may have side effects.
 */
function validateAlias(config: unknown, origin: string): AliasConfig {
  try {
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new MemoirError('INVALID_OPTION', `expected an options object such as { backend: 'memory' }, got ${describe(config)}.`);
    }
    const { backend } = config as AliasConfig;
    if (backend === undefined) throw new MemoirError('INVALID_OPTION', 'option "backend" is required (e.g. \'memory\', \'file\', \'redis\').');
    factoryOf(backend);
    if (['memory', 'file', 'mongo', 'redis', 'sql'].includes(String(backend))) void createCache(config as AliasConfig).close();
    return copyOf(config as AliasConfig);
  } catch (error) {
    if (!(error instanceof MemoirError)) throw error;
    throw new MemoirError(error.code, `${origin}: ${error.message}`, { cause: error });
  }
}

export class CacheRegistry {
  private config: CachesConfig | undefined;
  private readonly instances = new Map<string, KeyValueCache>();

  /**
   * Replaces the configuration (with `{ merge: true }`: adds to it, replacing aliases of the
   * same name) and closes the instances built from the old one. Every alias is validated
   * first: a bad one throws, naming the alias and the option, and nothing changes.
   */
  setConfig(config: CachesConfig, options: { merge?: boolean } = {}): void {
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new MemoirError('INVALID_OPTION', `caches.setConfig takes an object of aliases, e.g. { default: { backend: 'memory' } }; got ${describe(config)}.`);
    }
    const validated: CachesConfig = {};
    for (const [alias, aliasConfig] of Object.entries(config)) validated[alias] = validateAlias(aliasConfig, `Alias "${alias}"`);
    const base = options.merge ? this.current() : {};
    this.config = { default: IMPLICIT_DEFAULT, ...base, ...validated };
    this.closeInstances();
  }

  /** The alias's cache, built on first use; the same instance every time. Never connects by itself. */
  get(alias = 'default'): KeyValueCache {
    let cache = this.instances.get(alias);
    if (!cache) {
      cache = createCache(this.aliasConfig(alias));
      this.instances.set(alias, cache);
    }
    return cache;
  }

  /** A new cache from the alias's configuration, with `overrides` on top. */
  create(alias = 'default', overrides: Record<string, unknown> = {}): KeyValueCache {
    return createCache({ ...this.aliasConfig(alias), ...overrides });
  }

  /** A copy of the whole configuration. */
  getConfig(): CachesConfig {
    const out: CachesConfig = {};
    for (const [alias, config] of Object.entries(this.current())) out[alias] = copyOf(config);
    return out;
  }

  /** A copy of one alias's configuration. */
  getAliasConfig(alias: string): AliasConfig {
    return copyOf(this.aliasConfig(alias));
  }

  /** Closes every instance `get` built (they are built again on next use). */
  async close(): Promise<void> {
    const open = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(open.map((cache) => cache.close()));
  }

  private aliasConfig(alias: string): AliasConfig {
    const config = this.current()[alias];
    if (config) return config;
    throw new MemoirError('UNKNOWN_ALIAS', `Unknown cache alias ${JSON.stringify(alias)}; known aliases: ${Object.keys(this.current()).join(', ')}.`);
  }

  /** The configuration, read from the environment on first use. */
  private current(): CachesConfig {
    if (!this.config) {
      const fromEnv = configFromEnvironment(process.env);
      const sources = dsnSources(process.env);
      const validated: CachesConfig = {};
      for (const [alias, config] of Object.entries(fromEnv)) validated[alias] = validateAlias(config, `${sources.get(alias) ?? 'MEMOIR_DSN'} (alias "${alias}")`);
      this.config = { default: IMPLICIT_DEFAULT, ...validated };
    }
    return this.config;
  }

  private closeInstances(): void {
    const old = [...this.instances.values()];
    this.instances.clear();
    for (const cache of old) cache.close().catch(() => undefined);
  }
}

/** The process's cache aliases. */
export const caches = new CacheRegistry();
