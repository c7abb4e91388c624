/**
 * The file core: entries on disk, shared by every process that uses the same cache
 * directory. See docs/file.md for the layouts, guarantees and locking.
 */
export { createFileCore, type FileCoreOptions, fileCoreFactory } from './core';
export { SHARD_COUNT } from './layout';
