export * from './async-from-sync';
export * from './catalog';
export * from './core';
export * from './events';
export * from './serializers';
