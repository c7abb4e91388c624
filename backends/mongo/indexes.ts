import type { Collection } from 'mongodb';

/**
 * The unique (func, key) index is what makes acquire atomic: two concurrent upserts of the
 * same key cannot both insert. It is created once per collection per client (not per core:
 * hundreds of cached functions may share one collection), and retried if creating it failed.
 */
export const ENTRY_INDEX_NAME = 'func_1_key_1';

const ensured = new WeakMap<object, Map<string, Promise<void>>>();

export function ensureIndexes(collection: Collection): Promise<void> {
  const owner: object = collection.db?.client ?? collection;
  let byNamespace = ensured.get(owner);
  if (!byNamespace) ensured.set(owner, (byNamespace = new Map()));
  const namespace = collection.namespace;
  let pending = byNamespace.get(namespace);
  if (!pending) {
    const attempt = collection
      .createIndex({ func: 1, key: 1 }, { unique: true, name: ENTRY_INDEX_NAME })
      .then(() => undefined);
    pending = attempt.catch((error) => {
      byNamespace.delete(namespace);
      throw error;
    });
    byNamespace.set(namespace, pending);
  }
  return pending;
}
