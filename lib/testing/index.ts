export * from './core-contract';
export * from './cache-contract';
export * from './structure-contract';
