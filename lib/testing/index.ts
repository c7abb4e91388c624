export * from './core-contract';
export * from './cache-contract';
