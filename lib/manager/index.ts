export * from './auto-sync';
export * from './hooks';
export * from './managed-cache';
export * from './manager';
