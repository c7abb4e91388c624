import type { Document } from 'bson';

/**
 * A command failure the way mongod reports it: numeric `code`, `codeName`, `errmsg`, plus any
 * extra fields (a duplicate key carries `keyPattern` and `keyValue`).
 */
export class CommandError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
    readonly extra: Document = {},
  ) {
    super(message);
  }

  /** As a top-level failed reply (`ok: 0`), used by commands such as findAndModify. */
  toReply(): Document {
    return { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
  }

  /** As an entry of `writeErrors` in an `ok: 1` reply (insert, update, delete). */
  toWriteError(index: number): Document {
    return { index, code: this.code, errmsg: this.message, ...this.extra };
  }
}

export const badValue = (message: string) => new CommandError(2, 'BadValue', message);
export const namespaceNotFound = (namespace: string) =>
  new CommandError(26, 'NamespaceNotFound', `ns does not exist: ${namespace}`);
