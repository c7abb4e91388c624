import type { Document } from 'bson';
import { CommandError, badValue } from '../errors';
import type { IndexSpec } from '../store';
import { type CommandHandler, collectionOf } from './context';

/** Collection and index management: create, drop, createIndexes, dropDatabase. */
const indexName = (key: Record<string, number>) =>
  Object.entries(key)
    .map(([field, direction]) => `${field}_${direction}`)
    .join('_');

const createIndexes: CommandHandler = (command, { store, db }) => {
  const { collection, created } = store.getOrCreate(db, collectionOf(command, 'createIndexes'));
  const before = collection.indexes.length;
  for (const raw of (command.indexes ?? []) as Document[]) {
    if (!raw.key || Object.keys(raw.key).length === 0)
      throw badValue('index key pattern is required');
    const spec: IndexSpec = { name: raw.name ?? indexName(raw.key), key: raw.key };
    if (raw.unique) spec.unique = true;
    if (raw.expireAfterSeconds !== undefined)
      spec.expireAfterSeconds = Number(raw.expireAfterSeconds);
    collection.createIndex(spec);
  }
  const reply: Document = {
    createdCollectionAutomatically: created,
    numIndexesBefore: before,
    numIndexesAfter: collection.indexes.length,
  };
  if (before === collection.indexes.length) reply.note = 'all indexes already exist';
  return reply;
};

const create: CommandHandler = (command, { store, db }) => {
  const { created } = store.getOrCreate(db, collectionOf(command, 'create'));
  if (!created)
    throw new CommandError(
      48,
      'NamespaceExists',
      `Collection ${db}.${command.create} already exists.`,
    );
  return {};
};

/** Dropping a collection that does not exist succeeds, as on mongod 7. */
const drop: CommandHandler = (command, { store, db }) => {
  const name = collectionOf(command, 'drop');
  const dropped = store.drop(db, name);
  return { ns: `${db}.${name}`, nIndexesWas: dropped?.indexes.length ?? 0 };
};

const dropDatabase: CommandHandler = (_command, { store, db }) => {
  store.dropDatabase(db);
  return { dropped: db };
};

export const catalogCommands: Record<string, CommandHandler> = {
  createindexes: createIndexes,
  create,
  drop,
  dropdatabase: dropDatabase,
};
