export * from './memo';
export * from './stats';
export * from './open-cores';
export * from './definition-site';
// Pieces multiCached (lib/multi) builds its batch flow from, so that it judges entries,
// names owners and renews marks exactly as cached() does.
export { FRESH, freshness, STALE } from './freshness';
export { startRenewal } from './lease';
export { newOwner } from './owner';
