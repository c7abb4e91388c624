import { caches, isKeyValueCache, kvMemoCore, MemoCodec, serializedCore } from '../caches';
import { type CacheSerializer, type Core, type CoreFactory, type CoreSpec, coreDefect, type SerializerName } from '../contract';
import { describe, MemoirError } from '../errors';
import type { BackendName, BackendOption } from '../options';

/**
 * Built-in backends, loaded on first use: a program that only uses the memory backend never
 * loads the file core, and nothing loads the mongo or sql core (or a driver) unless asked.
 */
const loaders: Record<BackendName, () => CoreFactory> = {
  memory: () => require('../../backends/memory').memoryCoreFactory,
  file: () => require('../../backends/file').fileCoreFactory,
  mongo: () => require('../../backends/mongo').createMongoCore,
  redis: () => require('../../backends/redis').createRedisCore,
  sql: () => require('../../backends/sql').createSqlCore,
};

const isBuiltIn = (backend: string): backend is BackendName => Object.hasOwn(loaders, backend);

/** What the engine applies on top of every core: the `serializer` and (key-value caches) `timeout` options. */
export interface StorageSettings {
  serializer: SerializerName | CacheSerializer | undefined;
  /** ms, when the function sets its own. */
  timeout: number | undefined;
}

export function openBackend(backend: BackendOption, spec: CoreSpec, storage: StorageSettings): Core {
  // A key-value cache, or an alias of one: entries live there (caches/memo/kv-core.ts).
  if (typeof backend === 'string' && !isBuiltIn(backend)) {
    return kvMemoCore(spec, { cache: () => caches.get(backend), describe: `alias "${backend}"` }, storage);
  }
  if (isKeyValueCache(backend)) {
    return kvMemoCore(spec, { cache: () => backend, describe: `the key-value cache of namespace ${JSON.stringify(backend.namespace)}` }, storage);
  }
  const codec = new MemoCodec(storage.serializer ?? 'v8', spec.name);
  if (backend === 'memory') {
    // The hit path of the memory core stays unwrapped on its own form. A tagged serializer gets a
    // store of its own (memory stores are shared by name): never mixed with untagged values.
    if (codec.native) return loaders.memory()(spec);
    return serializedCore(loaders.memory()({ ...spec, name: `${spec.name}\u0000${codec.tag}` }), codec, spec.report, spec.name);
  }
  const core = typeof backend === 'object' ? backend : build(typeof backend === 'function' ? backend : loaders[backend](), spec);
  // Wrapped on the backend's own form too: entries another serializer wrote (a function of the
  // same name with other options) must read as misses, never as their tagged bytes.
  return serializedCore(core, codec, spec.report);
}

function build(factory: CoreFactory, spec: CoreSpec): Core {
  const core = factory(spec);
  const defect = coreDefect(core);
  if (defect !== undefined) {
    throw new MemoirError(
      'INVALID_OPTION',
      `Invalid option "backend" of "${spec.name}": the core factory returned ${describe(core)}, and ${defect}.`,
    );
  }
  return core;
}

/** Backends whose entries outlive the process: an anonymous function there needs a name. */
export function isPersistent(backend: BackendOption): boolean {
  return backend !== 'memory';
}
