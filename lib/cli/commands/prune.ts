import { parseDuration } from '../../units';
import type { Command } from '../command';
import { PROGRESS_HELP, PROGRESS_OPTION } from '../command';
import { UsageError } from '../errors';
import { formatDuration } from '../format';

function olderThan(text: string | boolean | undefined): number {
  if (typeof text !== 'string')
    throw new UsageError('prune needs --older-than, e.g. --older-than 1d', 'prune');
  // Zero needs no unit (any other bare number would be ambiguous): everything stored until now.
  if (/^\s*0+(\.0*)?\s*$/.test(text)) return 0;
  try {
    return parseDuration(text, '--older-than');
  } catch {
    throw new UsageError(
      `--older-than must be a duration such as 500ms, 10s, 5m, 1h or 2d, got "${text}"`,
      'prune',
    );
  }
}

export const pruneCommand: Command = {
  name: 'prune',
  summary: 'delete the entries of a cache older than a given age',
  usage: 'memoir prune NAME --older-than DURATION [--progress]',
  description:
    'Deletes the completed entries of one cache stored longer ago than DURATION (500ms, 10s,\n' +
    '5m, 1h, 2d; 0 deletes all of them), as the `cleanupStale` option does in the background.\n' +
    'Calculations in flight are left alone. File caches: also removes the temporary files\n' +
    'and locks that killed writers left, once older than the stale-lock time (5 s).',
  positionals: ['NAME'],
  options: { 'older-than': { type: 'string' }, ...PROGRESS_OPTION },
  optionHelp: [
    ['--older-than DURATION', 'age beyond which entries are deleted (required)'],
    ...PROGRESS_HELP,
  ],
  async run(context) {
    const [name] = context.args;
    const maxAge = olderThan(context.values['older-than']);
    const catalog = context.catalog();
    const before = context.io.now() - maxAge;
    const removed = await catalog.prune(name, before, context.progress(`pruning ${name}`));
    const leftovers = (await catalog.removeLeftovers?.(name)) ?? 0;
    context.output(
      { cache: name, location: catalog.location, olderThanMs: maxAge, before, removed, leftovers },
      () =>
        `Pruned ${name}: removed ${removed} ${removed === 1 ? 'entry' : 'entries'} older than ${formatDuration(maxAge)}` +
        (leftovers > 0
          ? `, and ${leftovers} temporary ${leftovers === 1 ? 'file' : 'files'} or lock(s) left by killed writers.`
          : '.'),
    );
  },
};
