import { type Document, Long } from 'bson';
import { CommandError } from './errors';

/** Open server-side cursors. Ids are 64-bit Longs on the wire, as the driver requires. */
const DEFAULT_BATCH_SIZE = 101;

export class CursorRegistry {
  private readonly open = new Map<string, { namespace: string; remaining: Document[] }>();
  private nextId = 1;

  /** The `cursor` field of a find/aggregate/list reply; keeps the rest for getMore. */
  first(namespace: string, docs: Document[], batchSize?: number, singleBatch = false): Document {
    const size = batchSize && batchSize > 0 ? batchSize : DEFAULT_BATCH_SIZE;
    const firstBatch = docs.slice(0, size);
    const remaining = docs.slice(size);
    let id = Long.fromNumber(0);
    if (remaining.length > 0 && !singleBatch) {
      id = Long.fromNumber(this.nextId++);
      this.open.set(id.toString(), { namespace, remaining });
    }
    return { id, ns: namespace, firstBatch };
  }

  more(cursorId: unknown, batchSize?: number): Document {
    const key = String(cursorId);
    const cursor = this.open.get(key);
    if (!cursor) throw new CommandError(43, 'CursorNotFound', `cursor id ${key} not found`);
    const size = batchSize && batchSize > 0 ? batchSize : cursor.remaining.length;
    const nextBatch = cursor.remaining.splice(0, size);
    const exhausted = cursor.remaining.length === 0;
    if (exhausted) this.open.delete(key);
    return {
      id: exhausted ? Long.fromNumber(0) : Long.fromString(key),
      ns: cursor.namespace,
      nextBatch,
    };
  }

  kill(cursorIds: unknown[]): Document {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const id of cursorIds) {
      const key = String(id);
      (this.open.delete(key) ? killed : notFound).push(Long.fromString(key));
    }
    return {
      cursorsKilled: killed,
      cursorsNotFound: notFound,
      cursorsAlive: [],
      cursorsUnknown: [],
    };
  }
}
