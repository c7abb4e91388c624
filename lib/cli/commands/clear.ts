import type { Command } from '../command';
import { PROGRESS_HELP, PROGRESS_OPTION } from '../command';

export const clearCommand: Command = {
  name: 'clear',
  summary: 'delete every entry of a cache',
  usage: 'memoir clear NAME [--progress]',
  description:
    'Deletes every entry of one cache, values and being-calculated marks alike, as\n' +
    '`fn.clearCache()` does. Processes using the cache keep working: they recompute.',
  positionals: ['NAME'],
  options: PROGRESS_OPTION,
  optionHelp: PROGRESS_HELP,
  async run(context) {
    const [name] = context.args;
    const catalog = context.catalog();
    const removed = await catalog.clear(name, context.progress(`clearing ${name}`));
    context.output(
      { cache: name, location: catalog.location, removed },
      () => `Cleared ${name}: removed ${removed} ${removed === 1 ? 'entry' : 'entries'}.`,
    );
  },
};
