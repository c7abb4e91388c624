import type { Collection, MongoClient, MongoClientOptions } from 'mongodb';
import { MemoirError, invalidOption } from '../../lib/errors';
import { loadPeerDependency } from '../../lib/util';

/**
 * Where a mongo core gets its collection. Either the user's own getter (they own the client,
 * we never close it) or `{ uri, db, collection }`, for which memoir opens a client lazily,
 * shares it between all cores with the same uri and options, and closes it when the last of
 * them closes.
 */
export type Mongetter = () => Collection | Promise<Collection>;

export interface MongoConnectionOptions {
  uri: string;
  db: string;
  collection: string;
  /**
   * Passed to `new MongoClient`. memoir lowers `serverSelectionTimeoutMS` to 5 s by default
   * (the driver's 30 s would stall every cached call while the server is down).
   */
  clientOptions?: MongoClientOptions;
}

export interface CollectionSource {
  /** Resolves the collection on first use; a failed attempt is retried on the next call. */
  collection(): Promise<Collection>;
  /** Releases the client if this source opened it. Idempotent. */
  close(): Promise<void>;
}

const ACCEPTED =
  'a function returning a mongodb Collection (or a Promise of one), or { uri, db, collection }';
const DEFAULT_CLIENT_OPTIONS: MongoClientOptions = { serverSelectionTimeoutMS: 5_000 };

export function collectionSource(mongetter: unknown): CollectionSource {
  if (typeof mongetter === 'function') return fromGetter(mongetter as Mongetter);
  if (isConnectionOptions(mongetter)) return fromUri(mongetter);
  throw invalidOption('mongetter', mongetter, ACCEPTED);
}

function isConnectionOptions(value: unknown): value is MongoConnectionOptions {
  const options = value as Partial<MongoConnectionOptions> | null;
  return (
    typeof options === 'object' &&
    options !== null &&
    typeof options.uri === 'string' &&
    typeof options.db === 'string' &&
    typeof options.collection === 'string'
  );
}

/** Keeps the first successful result; forgets a failure so the next call tries again. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((error) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

function fromGetter(getter: Mongetter): CollectionSource {
  return {
    collection: once(async () => {
      const collection = await getter();
      if (
        !collection ||
        typeof (collection as Partial<Collection>).findOneAndUpdate !== 'function'
      ) {
        throw invalidOption(
          'mongetter',
          collection,
          `${ACCEPTED}; the function returned something else`,
        );
      }
      return collection;
    }),
    close: async () => {},
  };
}

/** Clients opened from a uri, shared by every core that names the same uri and options. */
const sharedClients = new Map<string, { client: Promise<MongoClient>; users: number }>();

function fromUri(options: MongoConnectionOptions): CollectionSource {
  const poolKey = JSON.stringify([options.uri, options.clientOptions ?? {}]);
  let holding = false;
  let closed = false;

  const collection = once(async () => {
    if (closed) throw new MemoirError('BACKEND_ERROR', 'This mongo core has been closed.');
    let shared = sharedClients.get(poolKey);
    if (!shared) {
      // Loaded here, not at the top: lib/ and users of other backends never need mongodb.
      const { MongoClient } = loadPeerDependency<typeof import('mongodb')>('mongodb', "The 'mongo' backend with { uri, db, collection }");
      const client = new MongoClient(options.uri, {
        ...DEFAULT_CLIENT_OPTIONS,
        ...options.clientOptions,
      });
      shared = { client: client.connect(), users: 0 };
      sharedClients.set(poolKey, shared);
      const entry = shared;
      entry.client.catch(() => {
        if (sharedClients.get(poolKey) === entry) sharedClients.delete(poolKey);
      });
    }
    const client = await shared.client;
    if (!holding) {
      holding = true;
      shared.users++;
    }
    return client.db(options.db).collection(options.collection);
  });

  let closing: Promise<void> | undefined;
  return {
    collection,
    close: () => {
      closing ??= (async () => {
        closed = true;
        if (!holding) return;
        holding = false;
        const shared = sharedClients.get(poolKey);
        if (!shared || --shared.users > 0) return;
        sharedClients.delete(poolKey);
        await (await shared.client).close();
      })();
      return closing;
    },
  };
}
