import type { KeyValueCache } from '../contract';
import type { StructureBackend } from './backend';
import { genericBackend } from './generic-backend';
import { nativeBackend } from './native-backend';

/** One backend per cache and value mode, built on first use. */
const built = new WeakMap<KeyValueCache, { serialized?: StructureBackend; raw?: StructureBackend }>();

export function backendOf(cache: KeyValueCache, raw: boolean): StructureBackend {
  let pair = built.get(cache);
  if (!pair) built.set(cache, (pair = {}));
  const slot = raw ? 'raw' : 'serialized';
  let backend = pair[slot];
  if (!backend) {
    const access = cache.structures;
    backend = access ? nativeBackend(cache, access, raw) : genericBackend(cache, raw);
    pair[slot] = backend;
  }
  return backend;
}
