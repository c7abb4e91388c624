import type { Core, CoreFactory, CoreSpec } from '../contract';
import type { BackendName } from '../options';

/**
 * Built-in backends, loaded on first use: a program that only uses the memory backend never
 * loads the file core, and nothing loads the mongo core (or the driver) unless asked.
 */
const loaders: Record<BackendName, () => CoreFactory> = {
  memory: () => require('../../backends/memory').memoryCoreFactory,
  file: () => require('../../backends/file').fileCoreFactory,
  mongo: () => require('../../backends/mongo').createMongoCore,
};

export function openBackend(backend: BackendName | Core, spec: CoreSpec): Core {
  if (typeof backend !== 'string') return backend;
  return loaders[backend]()(spec);
}

/** Backends whose entries outlive the process: an anonymous function there needs a name. */
export function isPersistent(backend: BackendName | Core): boolean {
  return backend !== 'memory';
}
