export { type IdsIndex, type IdsProperty, type MultiCached, type MultiCachedCall, type MultiCachedMethods, type MultiCachedOptions, multiCached } from './multi-cached';
