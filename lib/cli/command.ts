import type { ParseArgsConfig } from 'node:util';
import type { Catalog, ProgressListener } from '../contract';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | undefined>;

/** Where a command writes, and its clock (tests and scripts see the same code paths). */
export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  now(): number;
  env: NodeJS.ProcessEnv;
}

export interface CommandContext {
  io: Io;
  values: OptionValues;
  /** Positional arguments after the command name. */
  args: string[];
  json: boolean;
  /** Opens the cache directory, mongo collection or SQL table the options point at (once). */
  catalog(): Catalog;
  /** A progress listener on stderr when enabled (TTY or --progress), else undefined. */
  progress(label: string): ProgressListener | undefined;
  /** Prints the JSON document with --json, the human text otherwise. */
  output(json: unknown, human: () => string): void;
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** 'memoir inspect NAME [--key K]' */
  usage: string;
  /** Paragraph(s) shown by `memoir <command> --help`. */
  description: string;
  /** Names of the positional arguments, all required. */
  positionals: string[];
  /** Options of this command only; the shared ones are added by the parser. */
  options: OptionSpecs;
  /** [flag, explanation] rows for the help text of `options`. */
  optionHelp: Array<[string, string]>;
  run(context: CommandContext): Promise<void>;
}

/** Options every command accepts: where the caches are, output format, help. */
export const SHARED_OPTIONS: OptionSpecs = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  'cache-dir': { type: 'string' },
  'mongo-uri': { type: 'string' },
  redis: { type: 'string' },
  db: { type: 'string' },
  collection: { type: 'string' },
  sql: { type: 'string' },
  table: { type: 'string' },
  timeout: { type: 'string' },
};

export const SHARED_HELP: Array<[string, string]> = [
  [
    '--cache-dir DIR',
    'cache directory (default: $MEMOIR_CACHE_DIR, $XDG_CACHE_HOME/memoir or ~/.cache/memoir)',
  ],
  ['--mongo-uri URI', 'use the caches of a MongoDB collection instead of a directory'],
  ['--db NAME', 'database of the collection (default: the one named in the URI)'],
  ['--collection NAME', 'collection holding the entries (required with --mongo-uri)'],
  ['--redis URL', 'use the caches of a Redis database instead (redis://host:6379/0, rediss://...)'],
  ['--sql URL', 'use the caches of a SQL table (postgres://, mysql://, mariadb://, sqlite:///path.db)'],
  ['--table NAME', 'table holding the entries with --sql (default memoir_entries)'],
  ['--timeout DURATION', 'how long to wait for the MongoDB, Redis or SQL server, e.g. 2s (default 5s)'],
  ['--json', 'print one JSON document on stdout, for scripts'],
  ['-h, --help', 'show this help'],
];

/** The --progress flag, for commands that walk every data file. */
export const PROGRESS_OPTION: OptionSpecs = { progress: { type: 'boolean' } };
export const PROGRESS_HELP: Array<[string, string]> = [
  ['--progress', 'show progress on stderr even when it is not a terminal'],
];
