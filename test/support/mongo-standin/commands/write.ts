import type { Document } from 'bson';
import { find as mingoFind } from 'mingo';
import { CommandError, badValue } from '../errors';
import type { StoredCollection } from '../store';
import { applyUpdate, upsertDocument } from '../updates';
import { type CommandContext, type CommandHandler, collectionOf } from './context';
import { project } from './read';

/**
 * Writes. insert/update/delete report per-statement failures in `writeErrors` of an `ok: 1`
 * reply (ordered batches stop at the first one); findAndModify fails as a whole with `ok: 0`.
 */
function asCommandError(error: unknown): CommandError {
  if (error instanceof CommandError) return error;
  return badValue(error instanceof Error ? error.message : String(error));
}

/** Runs each statement of a batch, collecting write errors the way mongod does. */
function runBatch<T>(statements: T[], ordered: boolean, run: (statement: T) => void): Document[] {
  const writeErrors: Document[] = [];
  for (const [index, statement] of statements.entries()) {
    try {
      run(statement);
    } catch (error) {
      writeErrors.push(asCommandError(error).toWriteError(index));
      if (ordered) break;
    }
  }
  return writeErrors;
}

const withErrors = (reply: Document, writeErrors: Document[]) =>
  writeErrors.length > 0 ? { ...reply, writeErrors } : reply;

function target(context: CommandContext, command: Document, name: string): StoredCollection {
  return context.store.getOrCreate(context.db, collectionOf(command, name)).collection;
}

const insert: CommandHandler = (command, context) => {
  const collection = target(context, command, 'insert');
  let n = 0;
  const writeErrors = runBatch(
    command.documents ?? [],
    command.ordered !== false,
    (doc: Document) => {
      collection.insert(doc);
      n++;
    },
  );
  return withErrors({ n }, writeErrors);
};

function matchSorted(collection: StoredCollection | undefined, filter: Document, sort?: Document) {
  const matched = collection?.match(filter) ?? [];
  if (!sort || Object.keys(sort).length === 0) return matched;
  return mingoFind(matched, {}).sort(sort).all() as Document[];
}

const update: CommandHandler = (command, context) => {
  const collection = target(context, command, 'update');
  let n = 0;
  let nModified = 0;
  const upserted: Document[] = [];
  let index = -1;
  const writeErrors = runBatch(
    command.updates ?? [],
    command.ordered !== false,
    (statement: Document) => {
      index++;
      const matched = matchSorted(collection, statement.q ?? {}, statement.sort);
      if (matched.length === 0 && statement.upsert) {
        const stored = collection.insert(upsertDocument(statement.q ?? {}, statement.u));
        upserted.push({ index, _id: stored._id });
        n++;
        return;
      }
      for (const current of statement.multi ? matched : matched.slice(0, 1)) {
        const next = applyUpdate(current, statement.u, { arrayFilters: statement.arrayFilters });
        if (next.changed) {
          collection.replace(current, next.doc);
          nModified++;
        }
        n++;
      }
    },
  );
  return withErrors(
    upserted.length > 0 ? { n, nModified, upserted } : { n, nModified },
    writeErrors,
  );
};

const remove: CommandHandler = (command, context) => {
  const collection = context.store.get(context.db, collectionOf(command, 'delete'));
  let n = 0;
  const writeErrors = runBatch(
    command.deletes ?? [],
    command.ordered !== false,
    (statement: Document) => {
      const matched = collection?.match(statement.q ?? {}) ?? [];
      for (const doc of statement.limit === 1 ? matched.slice(0, 1) : matched) {
        collection!.remove(doc);
        n++;
      }
    },
  );
  return withErrors({ n }, writeErrors);
};

const findAndModify: CommandHandler = (command, context) => {
  const name = collectionOf(
    command,
    'findAndModify' in command ? 'findAndModify' : 'findandmodify',
  );
  try {
    const existing = context.store.get(context.db, name);
    const query: Document = command.query ?? {};
    const [current] = matchSorted(existing, query, command.sort);
    const shape = (doc: Document | undefined) => (doc ? project([doc], command.fields)[0] : null);

    if (command.remove) {
      if (current) existing!.remove(current);
      return { lastErrorObject: { n: current ? 1 : 0 }, value: shape(current) };
    }
    if (current) {
      const next = applyUpdate(current, command.update, { arrayFilters: command.arrayFilters });
      if (next.changed) existing!.replace(current, next.doc);
      return {
        lastErrorObject: { n: 1, updatedExisting: true },
        value: shape(command.new ? next.doc : current),
      };
    }
    if (command.upsert) {
      const collection = context.store.getOrCreate(context.db, name).collection;
      const stored = collection.insert(upsertDocument(query, command.update));
      return {
        lastErrorObject: { n: 1, updatedExisting: false, upserted: stored._id },
        value: command.new ? shape(stored) : null,
      };
    }
    return { lastErrorObject: { n: 0, updatedExisting: false }, value: null };
  } catch (error) {
    throw asCommandError(error);
  }
};

export const writeCommands: Record<string, CommandHandler> = {
  insert,
  update,
  delete: remove,
  findandmodify: findAndModify,
};
