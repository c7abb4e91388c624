import * as fs from 'node:fs';
import { defaultKey } from '../../keys';
import type { PrecacheItem } from '../../contract';
import type { Command } from '../command';
import { PROGRESS_HELP, PROGRESS_OPTION } from '../command';
import { MemoirError } from '../../errors';
import { CliFailure, UsageError } from '../errors';

/** A key no item has: asking a cache for it tells whether the cache exists, and reads nothing. */
const EXISTENCE_PROBE = '\u0000memoir:no-such-key';

/**
 * Reads `[{ "args": [...], "value": ... }]` and keys each item with `defaultKey`, the very
 * function a memoized function without `hashFunc` uses, so a precached value is a hit.
 */
function readItems(from: string): PrecacheItem[] {
  let text: string;
  try {
    text = fs.readFileSync(from === '-' ? 0 : from, 'utf8');
  } catch (error) {
    throw new CliFailure(`Cannot read ${from}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliFailure(`${from} is not valid JSON: ${(error as Error).message.replace(/\s*\n\s*/g, ' ')}`);
  }
  if (!Array.isArray(parsed)) {
    throw new CliFailure(
      `${from} must hold a JSON array of { "args": [...], "value": ... } items.`,
    );
  }
  return parsed.map((item: unknown, index) => {
    const { args, value } = (item ?? {}) as { args?: unknown; value?: unknown };
    if (typeof item !== 'object' || item === null || !Array.isArray(args) || !('value' in item)) {
      throw new CliFailure(
        `${from}, item ${index}: expected { "args": [...], "value": ... }, got ${JSON.stringify(item)?.slice(0, 80)}.`,
      );
    }
    return { key: defaultKey(args), value };
  });
}

export const precacheCommand: Command = {
  name: 'precache',
  summary: 'store known results in a cache before the function ever runs',
  usage: 'memoir precache NAME --from FILE.json [--create] [--separate-files] [--progress]',
  description:
    'Stores results read from a JSON file holding [{ "args": [...], "value": ... }, ...]. Each\n' +
    'item is keyed exactly as the memoized function keys its arguments (the default key,\n' +
    'no hashFunc), so a later call with those arguments is a hit and does not run the\n' +
    'function. Like `fn.precacheValue(args, value)`. A cache that does not exist yet is\n' +
    'created only with --create, so a mistyped NAME is not silently a new cache.\n' +
    'Methods whose instance is part of the key cannot be precached this way.',
  positionals: ['NAME'],
  options: { from: { type: 'string' }, create: { type: 'boolean' }, 'separate-files': { type: 'boolean' }, ...PROGRESS_OPTION },
  optionHelp: [
    ['--from FILE', 'the JSON file of items ("-" reads stdin; required)'],
    ['--create', 'create the cache when it does not exist yet'],
    ...PROGRESS_HELP,
    ['--separate-files', "a new file cache gets one file per entry (match the function's option)"],
  ],
  async run(context) {
    const [name] = context.args;
    const from = context.values.from;
    if (typeof from !== 'string')
      throw new UsageError('precache needs --from FILE.json', 'precache');
    const items = readItems(from);
    const catalog = context.catalog();
    if (context.values.create !== true) {
      // Found as the other commands find it (by its own name or the listed one), or refused
      // with their UNKNOWN_CACHE, plus how to create it.
      try {
        await catalog.entries(name, EXISTENCE_PROBE);
      } catch (error) {
        if (!(error instanceof MemoirError && error.code === 'UNKNOWN_CACHE')) throw error;
        throw new MemoirError('UNKNOWN_CACHE', `${error.message} To create it, run again with --create.`);
      }
    }
    const separateFiles = context.values['separate-files'] === true ? true : undefined;
    const written = await catalog.precache(name, items, context.io.now(), { separateFiles }, context.progress(`precaching into ${name}`));
    context.output(
      { cache: name, location: catalog.location, written, keys: items.map((item) => item.key) },
      () => `Precached ${written} ${written === 1 ? 'value' : 'values'} into ${name}.`,
    );
  },
};
