import type { Command } from '../command';
import { clearCommand } from './clear';
import { clearBeingCalculatedCommand } from './clear-being-calculated';
import { inspectCommand } from './inspect';
import { listCommand } from './list';
import { precacheCommand } from './precache';
import { pruneCommand } from './prune';

/** Every command, in the order the help lists them. */
export const COMMANDS: readonly Command[] = [
  listCommand,
  inspectCommand,
  clearCommand,
  clearBeingCalculatedCommand,
  pruneCommand,
  precacheCommand,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}
