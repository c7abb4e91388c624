/** Memoized functions' entries in key-value caches, and the `serializer` option of `cached`. */
export { MemoCodec } from './codec';
export { isKeyValueCache, type KvCoreSettings, type KvCoreSource, kvMemoCore, memoNamespace } from './kv-core';
export { serializedCore } from './serialized-core';
