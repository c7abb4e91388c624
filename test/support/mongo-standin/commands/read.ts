import type { Document } from 'bson';
import { Aggregator, find as mingoFind } from 'mingo';
import { badValue, namespaceNotFound } from '../errors';
import { type CommandHandler, collectionOf } from './context';

/** Queries: find/getMore/killCursors, count, aggregate, and the catalog listings. */
function sortSkipLimit(
  docs: Document[],
  command: { sort?: Document; skip?: number; limit?: number },
) {
  let cursor = mingoFind(docs, {});
  if (command.sort && Object.keys(command.sort).length > 0) cursor = cursor.sort(command.sort);
  if (command.skip) cursor = cursor.skip(command.skip);
  const limit = Math.abs(Number(command.limit ?? 0));
  if (limit > 0) cursor = cursor.limit(limit);
  return cursor.all() as Document[];
}

export function project(docs: Document[], projection?: Document): Document[] {
  if (!projection || Object.keys(projection).length === 0) return docs;
  return mingoFind(docs, {}, projection).all() as Document[];
}

function guarded<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof Error && !('code' in error)) throw badValue(error.message);
    throw error;
  }
}

const find: CommandHandler = (command, { store, cursors, db }) => {
  const name = collectionOf(command, 'find');
  const matched = guarded(() => store.get(db, name)?.match(command.filter) ?? []);
  const docs = project(sortSkipLimit(matched, command), command.projection);
  const singleBatch = Boolean(command.singleBatch) || Number(command.limit) < 0;
  return { cursor: cursors.first(`${db}.${name}`, docs, command.batchSize, singleBatch) };
};

const getMore: CommandHandler = (command, { cursors }) => ({
  cursor: cursors.more(command.getMore, command.batchSize),
});

const killCursors: CommandHandler = (command, { cursors }) => cursors.kill(command.cursors ?? []);

const count: CommandHandler = (command, { store, db }) => {
  const matched = guarded(
    () => store.get(db, collectionOf(command, 'count'))?.match(command.query) ?? [],
  );
  return { n: sortSkipLimit(matched, command).length };
};

const aggregate: CommandHandler = (command, { store, cursors, db }) => {
  const name = collectionOf(command, 'aggregate');
  const docs = store.get(db, name)?.docs ?? [];
  const results = guarded(() => new Aggregator(command.pipeline ?? []).run(docs) as Document[]);
  return { cursor: cursors.first(`${db}.${name}`, results, command.cursor?.batchSize) };
};

const listCollections: CommandHandler = (command, { store, cursors, db }) => {
  const infos = store.collectionNames(db).map((name) => ({
    name,
    type: 'collection',
    options: {},
    info: { readOnly: false },
    idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
  }));
  const matched = mingoFind(infos, command.filter ?? {}).all() as Document[];
  const docs = command.nameOnly ? matched.map(({ name, type }) => ({ name, type })) : matched;
  return { cursor: cursors.first(`${db}.$cmd.listCollections`, docs, command.cursor?.batchSize) };
};

const listIndexes: CommandHandler = (command, { store, cursors, db }) => {
  const name = collectionOf(command, 'listIndexes');
  const collection = store.get(db, name);
  if (!collection) throw namespaceNotFound(`${db}.${name}`);
  const docs = collection.indexes.map((index) => ({ v: 2, ...index }));
  return { cursor: cursors.first(`${db}.${name}`, docs, command.cursor?.batchSize) };
};

const listDatabases: CommandHandler = (_command, { store }) => ({
  databases: store.databaseNames().map((name) => ({ name, sizeOnDisk: 0, empty: false })),
  totalSize: 0,
});

export const readCommands: Record<string, CommandHandler> = {
  find,
  getmore: getMore,
  killcursors: killCursors,
  count,
  aggregate,
  listcollections: listCollections,
  listindexes: listIndexes,
  listdatabases: listDatabases,
};
