import { BSON, type Document, EJSON, ObjectId } from 'bson';
import { find as mingoFind } from 'mingo';
import { CommandError } from './errors';
import { compileFilter } from './fast-filter';
import { getPath } from './store-paths';

/**
 * In-memory databases, collections and their indexes. Commands run synchronously on one
 * event loop, so every single-document operation is atomic, as on mongod. Unique indexes
 * are kept as maps from the indexed values to the document, which both enforces uniqueness
 * (E11000) and answers equality lookups without scanning.
 */
export interface IndexSpec {
  name: string;
  key: Record<string, number>;
  unique?: boolean;
  expireAfterSeconds?: number;
}

const ID_INDEX: IndexSpec = { name: '_id_', key: { _id: 1 }, unique: true };

/** A deep copy that keeps BSON types (Binary, ObjectId, Date...) intact. */
export function cloneDocument(doc: Document): Document {
  return BSON.deserialize(BSON.serialize(doc), { promoteLongs: true });
}

export { getPath } from './store-paths';

/** Canonical text of a value, so equal BSON values (including ObjectIds) compare as equal. */
const canonical = (value: unknown) => EJSON.stringify({ v: value ?? null }, { relaxed: false });

export class StoredCollection {
  docs: Document[] = [];
  indexes: IndexSpec[] = [{ ...ID_INDEX }];
  private readonly uniqueMaps = new Map<string, Map<string, Document>>([['_id_', new Map()]]);

  constructor(readonly namespace: string) {}

  private indexKey(index: IndexSpec, doc: Document): string {
    return canonical(Object.keys(index.key).map((path) => getPath(doc, path) ?? null));
  }

  private uniqueIndexes(): IndexSpec[] {
    return this.indexes.filter((index) => index.unique);
  }

  private duplicateError(index: IndexSpec, doc: Document): CommandError {
    const keyValue: Document = {};
    for (const path of Object.keys(index.key)) keyValue[path] = getPath(doc, path) ?? null;
    return new CommandError(
      11000,
      'DuplicateKey',
      `E11000 duplicate key error collection: ${this.namespace} index: ${index.name} dup key: ${EJSON.stringify(keyValue)}`,
      { keyPattern: index.key, keyValue },
    );
  }

  /** Throws E11000 if `doc` would collide with any document other than `replacing`. */
  private checkUnique(doc: Document, replacing?: Document): void {
    for (const index of this.uniqueIndexes()) {
      const holder = this.uniqueMaps.get(index.name)!.get(this.indexKey(index, doc));
      if (holder && holder !== replacing) throw this.duplicateError(index, doc);
    }
  }

  private indexDoc(doc: Document): void {
    for (const index of this.uniqueIndexes()) {
      this.uniqueMaps.get(index.name)!.set(this.indexKey(index, doc), doc);
    }
  }

  private unindexDoc(doc: Document): void {
    for (const index of this.uniqueIndexes()) {
      this.uniqueMaps.get(index.name)!.delete(this.indexKey(index, doc));
    }
  }

  insert(doc: Document): Document {
    // mongod keeps _id as the first field, generating one when the client did not.
    const stored = { _id: doc._id ?? new ObjectId(), ...doc };
    this.checkUnique(stored);
    this.docs.push(stored);
    this.indexDoc(stored);
    return stored;
  }

  /** Swaps in an updated copy of a stored document; the original stays if a key collides. */
  replace(current: Document, next: Document): void {
    this.checkUnique(next, current);
    this.unindexDoc(current);
    this.docs[this.docs.indexOf(current)] = next;
    this.indexDoc(next);
  }

  remove(doc: Document): void {
    this.unindexDoc(doc);
    this.docs.splice(this.docs.indexOf(doc), 1);
  }

  /**
   * Documents matching `filter`, in natural order. When the filter pins every field of a
   * unique index by equality, the index answers instead of a scan.
   */
  match(filter: Document = {}): Document[] {
    const candidates = this.candidates(filter);
    const fast = compileFilter(filter);
    if (fast) {
      const verdicts = candidates.map(fast);
      if (!verdicts.includes(undefined)) return candidates.filter((_, i) => verdicts[i]);
    }
    return mingoFind(candidates, filter).all() as Document[];
  }

  private candidates(filter: Document): Document[] {
    for (const index of this.uniqueIndexes()) {
      const values: unknown[] = [];
      for (const path of Object.keys(index.key)) {
        const value = equalityValue(filter[path]);
        if (value === undefined) break;
        values.push(value);
      }
      if (values.length === Object.keys(index.key).length) {
        const hit = this.uniqueMaps.get(index.name)!.get(canonical(values));
        return hit ? [hit] : [];
      }
    }
    return this.docs;
  }

  /** Adds an index; an identical one is a no-op, a conflicting one an error, as on mongod. */
  createIndex(spec: IndexSpec): boolean {
    const sameName = this.indexes.find((index) => index.name === spec.name);
    const sameKey = this.indexes.find((index) => canonical(index.key) === canonical(spec.key));
    if (sameName || sameKey) {
      const existing = (sameName ?? sameKey)!;
      const equivalent =
        canonical(existing.key) === canonical(spec.key) &&
        Boolean(existing.unique) === Boolean(spec.unique) &&
        existing.expireAfterSeconds === spec.expireAfterSeconds;
      if (equivalent && existing.name === spec.name) return false;
      throw new CommandError(
        sameName ? 86 : 85,
        sameName ? 'IndexKeySpecsConflict' : 'IndexOptionsConflict',
        `An existing index has the same ${sameName ? 'name' : 'key'} as the requested index: ${existing.name}`,
      );
    }
    if (spec.unique) {
      const map = new Map<string, Document>();
      for (const doc of this.docs) {
        const key = this.indexKey(spec, doc);
        if (map.has(key)) throw this.duplicateError(spec, doc);
        map.set(key, doc);
      }
      this.uniqueMaps.set(spec.name, map);
    }
    this.indexes.push(spec);
    return true;
  }

  /** What a TTL monitor would have removed by `now` (mongod sweeps every 60 s; we sweep on use). */
  expire(now: number): void {
    for (const index of this.indexes) {
      if (index.expireAfterSeconds === undefined) continue;
      const field = Object.keys(index.key)[0];
      const deadline = now - index.expireAfterSeconds * 1000;
      for (const doc of [...this.docs]) {
        const value = getPath(doc, field);
        if (value instanceof Date && value.getTime() <= deadline) this.remove(doc);
      }
    }
  }
}

/** The value an equality condition pins (`v` or `{ $eq: v }`), or undefined if it is not one. */
function equalityValue(condition: unknown): unknown {
  if (condition === undefined || condition === null) return undefined;
  if (typeof condition !== 'object') return condition;
  if (condition instanceof ObjectId || condition instanceof Date) return condition;
  const keys = Object.keys(condition);
  if (keys.length === 1 && keys[0] === '$eq') {
    const value = (condition as Document).$eq;
    return value !== null && typeof value === 'object' && !(value instanceof ObjectId)
      ? undefined
      : value;
  }
  return undefined;
}

export class Store {
  private readonly databases = new Map<string, Map<string, StoredCollection>>();

  private database(db: string): Map<string, StoredCollection> {
    let collections = this.databases.get(db);
    if (!collections) this.databases.set(db, (collections = new Map()));
    return collections;
  }

  /** The collection if it exists, with expired TTL documents already gone. */
  get(db: string, name: string): StoredCollection | undefined {
    const collection = this.databases.get(db)?.get(name);
    collection?.expire(Date.now());
    return collection;
  }

  /** Writes create collections implicitly, as on mongod. */
  getOrCreate(db: string, name: string): { collection: StoredCollection; created: boolean } {
    const existing = this.get(db, name);
    if (existing) return { collection: existing, created: false };
    const collection = new StoredCollection(`${db}.${name}`);
    this.database(db).set(name, collection);
    return { collection, created: true };
  }

  drop(db: string, name: string): StoredCollection | undefined {
    const collection = this.databases.get(db)?.get(name);
    this.databases.get(db)?.delete(name);
    return collection;
  }

  dropDatabase(db: string): void {
    this.databases.delete(db);
  }

  collectionNames(db: string): string[] {
    return [...(this.databases.get(db)?.keys() ?? [])];
  }

  databaseNames(): string[] {
    return [...this.databases.keys()];
  }
}
