import { defaultKey } from '../../keys';
import type { EntryInfo } from '../../contract';
import type { Command } from '../command';
import { PROGRESS_HELP, PROGRESS_OPTION } from '../command';
import { CliFailure, UsageError } from '../errors';
import { formatBytes, formatDuration, formatTime, table, truncate } from '../format';
import { renderValue, summarizeValue } from '../summarize';

const DEFAULT_LIMIT = 100;

/** The value's summary, or why it could not be read back (it is then a miss for the function). */
function summaryOf(entry: EntryInfo, render: (value: unknown) => string): string {
  if (!entry.completed) return '(being calculated: no value yet)';
  try {
    return render(entry.value());
  } catch (error) {
    return `(unreadable value: ${(error as Error).message})`;
  }
}

function keyOption(values: Record<string, string | boolean | undefined>): string | undefined {
  const key = values.key as string | undefined;
  const args = values.args as string | undefined;
  if (key !== undefined && args !== undefined)
    throw new UsageError('give --key or --args, not both', 'inspect');
  if (args === undefined) return key;
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch (error) {
    throw new UsageError(`--args is not valid JSON (${(error as Error).message})`, 'inspect');
  }
  if (!Array.isArray(parsed))
    throw new UsageError('--args must be a JSON array of arguments', 'inspect');
  return defaultKey(parsed);
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 0) {
    throw new UsageError(`--limit must be a whole number (0 for all), got "${text}"`, 'inspect');
  }
  return limit === 0 ? Number.POSITIVE_INFINITY : limit;
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show the entries of a cache with their age, size and a summary of each value',
  usage: 'memoir inspect NAME [--key KEY | --args JSON] [--limit N] [--progress]',
  description:
    'Shows the entries of one cache, newest first: key, age, value size and a one-line summary\n' +
    'of the value (placeholders of calculations in flight show their mark). With --key (or\n' +
    '--args, the argument list as JSON, keyed as the function keys it) only that entry is\n' +
    'shown, with its whole value. Keys are the texts `fn.keyFor(...args)` returns.',
  positionals: ['NAME'],
  options: { key: { type: 'string' }, args: { type: 'string' }, limit: { type: 'string' }, ...PROGRESS_OPTION },
  optionHelp: [
    ...PROGRESS_HELP,
    ['--key KEY', 'only the entry stored under this key'],
    ['--args JSON', 'only the entry for these arguments, e.g. --args \'[2, "x"]\''],
    ['--limit N', `show at most N entries (default ${DEFAULT_LIMIT}; 0 for all)`],
  ],
  async run(context) {
    const [name] = context.args;
    const key = keyOption(context.values);
    const limit = parseLimit(context.values.limit as string | undefined);
    const catalog = context.catalog();
    const now = context.io.now();
    const entries = (await catalog.entries(name, key, context.progress(`reading ${name}`))).sort((a, b) => b.time - a.time);
    if (key !== undefined && entries.length === 0) {
      throw new CliFailure(`Cache "${name}" has no entry with key ${JSON.stringify(key)}.`);
    }
    const shown = entries.slice(0, limit);
    const single = key !== undefined;
    context.output(
      {
        cache: name,
        location: catalog.location,
        total: entries.length,
        shown: shown.length,
        entries: shown.map((entry) => ({
          key: entry.key,
          time: entry.time,
          ageMs: now - entry.time,
          completed: entry.completed,
          size: entry.size,
          summary: summaryOf(entry, (value) => summarizeValue(value)),
          ...(single ? { rendered: summaryOf(entry, renderValue) } : {}),
          processing: entry.processing
            ? {
                ...entry.processing,
                ageMs: now - entry.processing.since,
                leaseLeftMs: entry.processing.leaseUntil - now,
                live: entry.processing.leaseUntil > now,
              }
            : null,
        })),
      },
      () => {
        if (single) {
          const [entry] = shown;
          return [
            `Cache ${name}, key ${entry.key}`,
            `stored   ${formatTime(entry.time)} (${formatDuration(now - entry.time)} ago)`,
            `size     ${formatBytes(entry.size)}`,
            ...(entry.processing
              ? [
                  `mark     ${entry.processing.owner}, lease left ${formatDuration(entry.processing.leaseUntil - now)}`,
                ]
              : []),
            '',
            summaryOf(entry, renderValue),
          ].join('\n');
        }
        if (entries.length === 0) return `Cache ${name} (${catalog.location}) is empty.`;
        const rows = shown.map((entry) => [
          truncate(entry.key, 40),
          formatDuration(now - entry.time),
          formatBytes(entry.size),
          entry.processing && entry.processing.leaseUntil > now ? 'calculating' : '',
          summaryOf(entry, (value) => summarizeValue(value, 50)),
        ]);
        const more =
          entries.length > shown.length
            ? `\n… ${entries.length - shown.length} more (--limit 0 for all)`
            : '';
        return `Cache ${name}: ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}\n\n${table(['KEY', 'AGE', 'SIZE', 'MARK', 'VALUE'], rows, [1, 2])}${more}`;
      },
    );
  },
};
