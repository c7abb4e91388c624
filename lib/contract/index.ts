export * from './async-from-sync';
export * from './catalog';
export * from './connections';
export * from './core';
export * from './events';
export * from './serializers';
export * from './cache';
export * from './integers';
