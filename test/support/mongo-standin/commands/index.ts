import type { Document } from 'bson';
import { CommandError } from '../errors';
import { catalogCommands } from './catalog';
import type { CommandContext, CommandHandler } from './context';
import { handshakeCommands } from './handshake';
import { readCommands } from './read';
import { writeCommands } from './write';

export type { CommandContext } from './context';

/** Command names are matched case-insensitively (`isMaster`, `ismaster`, `findAndModify`). */
const handlers: Record<string, CommandHandler> = {
  ...handshakeCommands,
  ...readCommands,
  ...writeCommands,
  ...catalogCommands,
};

/** Runs one command and returns the complete reply, always carrying `ok`. */
export function runCommand(name: string, command: Document, context: CommandContext): Document {
  const handler = handlers[name.toLowerCase()];
  if (!handler) {
    return { ok: 0, errmsg: `no such command: '${name}'`, code: 59, codeName: 'CommandNotFound' };
  }
  try {
    return { ...handler(command, context), ok: 1 };
  } catch (error) {
    if (error instanceof CommandError) return error.toReply();
    const message = error instanceof Error ? error.message : String(error);
    return { ok: 0, errmsg: message, code: 1, codeName: 'InternalError' };
  }
}
