import type { LoadPeer } from './types';

/**
 * Every library the harness measures, memoir first. Loaders are lazy so an ESM-only peer
 * is imported only when the harness runs, and one that fails to load is reported, not fatal.
 */
export const PEERS: { name: string; load: LoadPeer }[] = [
  { name: 'memoir', load: async () => (await import('./memoir')).load() },
  { name: 'memoizee', load: async () => (await import('./memoizee')).load() },
  { name: 'moize', load: async () => (await import('./moize')).load() },
  { name: 'p-memoize', load: async () => (await import('./p-memoize')).load() },
  { name: 'lru-cache', load: async () => (await import('./lru-cache')).load() },
  { name: 'async-cache-dedupe', load: async () => (await import('./async-cache-dedupe')).load() },
  { name: 'cache-manager', load: async () => (await import('./cache-manager')).load() },
  { name: 'bentocache', load: async () => (await import('./bentocache')).load() },
  { name: '@type-cacheable/core', load: async () => (await import('./type-cacheable')).load() },
];

export type { AnyAsync, AnySync, LoadPeer, Peer, Shape } from './types';
