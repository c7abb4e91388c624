import { type Core, type CoreFactory, type CoreSpec, coreDefect } from '../contract';
import { describe, MemoirError } from '../errors';
import type { BackendName } from '../options';

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

export function openBackend(backend: BackendName | Core | CoreFactory, spec: CoreSpec): Core {
  if (typeof backend === 'object') return backend;
  const factory = typeof backend === 'function' ? backend : loaders[backend]();
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
export function isPersistent(backend: BackendName | Core | CoreFactory): boolean {
  return backend !== 'memory';
}
