export * from './default-key';
export { MAX_DEPTH, memoirKey } from './encoder';
export * from './primitive-cache';
export * from './snapshot';
