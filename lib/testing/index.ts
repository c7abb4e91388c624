export * from './core-contract';
