import type { Command } from '../command';
import { PROGRESS_HELP, PROGRESS_OPTION } from '../command';

export const clearBeingCalculatedCommand: Command = {
  name: 'clear-being-calculated',
  summary: 'drop every being-calculated mark of a cache (values stay)',
  usage: 'memoir clear-being-calculated NAME [--progress]',
  description:
    'Drops every being-calculated mark of one cache, as `fn.clearBeingCalculated()` does:\n' +
    'completed values stay, bare placeholders go. Rarely needed: the mark of a crashed\n' +
    'calculator expires with its lease and a waiter takes over on its own.',
  positionals: ['NAME'],
  options: PROGRESS_OPTION,
  optionHelp: PROGRESS_HELP,
  async run(context) {
    const [name] = context.args;
    const catalog = context.catalog();
    const cleared = await catalog.clearBeingCalculated(
      name,
      context.progress(`clearing marks of ${name}`),
    );
    context.output(
      { cache: name, location: catalog.location, cleared },
      () => `Dropped ${cleared} being-calculated ${cleared === 1 ? 'mark' : 'marks'} of ${name}.`,
    );
  },
};
