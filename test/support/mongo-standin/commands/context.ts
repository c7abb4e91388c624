import type { Document } from 'bson';
import type { CursorRegistry } from '../cursors';
import type { Store } from '../store';

/** What a command handler sees: the shared store and cursors, and the command's database. */
export interface CommandContext {
  store: Store;
  cursors: CursorRegistry;
  db: string;
  connectionId: number;
}

/** A handler returns the reply body without `ok`; throwing a CommandError makes it `ok: 0`. */
export type CommandHandler = (command: Document, context: CommandContext) => Document;

/** The collection named by a command (`{ find: 'entries', ... }` → 'entries'). */
export function collectionOf(command: Document, name: string): string {
  return String(command[name]);
}
