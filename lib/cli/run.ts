import { parseArgs } from 'node:util';
import { MemoirError } from '../errors';
import type { Catalog } from '../contract';
import {
  type Command,
  type CommandContext,
  type Io,
  type OptionValues,
  SHARED_OPTIONS,
} from './command';
import { COMMANDS, findCommand } from './commands';
import { CliFailure, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './errors';
import { commandHelp, mainHelp } from './help';
import { checkLocation, openCatalog } from './open-catalog';
import { progressOnStderr } from './progress';

/** Every option any command knows, so the command name can be found wherever it stands. */
const ALL_OPTIONS = Object.assign(
  {},
  SHARED_OPTIONS,
  ...COMMANDS.map((command) => command.options),
);

/** The first positional argument names the command; options may come before it. */
function commandName(argv: string[]): string | undefined {
  const { tokens } = parseArgs({
    args: argv,
    options: ALL_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  return tokens.find((token) => token.kind === 'positional')?.value;
}

function parseCommandLine(command: Command, argv: string[]) {
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...SHARED_OPTIONS, ...command.options },
      strict: true,
      allowPositionals: true,
    }) as { values: OptionValues; positionals: string[] };
  } catch (error) {
    const known = Object.keys({ ...SHARED_OPTIONS, ...command.options }).map((name) => `--${name}`);
    const flag = /'(-{1,2}[^']+)'/.exec((error as Error).message)?.[1];
    if ((error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) {
      throw new UsageError(`unknown option ${flag} for ${command.name}; known: ${known.join(', ')}`, command.name);
    }
    // Other parse errors (a missing value, say) name the flag and what is wrong: keep them.
    throw new UsageError((error as Error).message, command.name);
  }
  const args = parsed.positionals.slice(1);
  return { values: parsed.values, args };
}

function checkPositionals(command: Command, args: string[]): void {
  if (args.length < command.positionals.length) {
    throw new UsageError(`${command.name} needs ${command.positionals.join(' ')}`, command.name);
  }
  if (args.length > command.positionals.length) {
    throw new UsageError(`unexpected argument "${args[command.positionals.length]}"`, command.name);
  }
}

/**
 * Runs one command line and returns the exit code. Nothing here calls process.exit: the
 * caller sets process.exitCode, so output is flushed and connections close first.
 */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const name = commandName(argv);
  const wantsJson = argv.includes('--json');
  if (name === undefined || name === 'help') {
    const topic =
      name === 'help'
        ? argv.slice(argv.indexOf('help') + 1).find((arg) => !arg.startsWith('-'))
        : undefined;
    const command = topic === undefined ? undefined : findCommand(topic);
    if (command) {
      io.stdout.write(`${commandHelp(command)}\n`);
      return EXIT_OK;
    }
    if (topic !== undefined)
      return report(new UsageError(`unknown command "${topic}"`), io, wantsJson);
    // Help that was asked for is output; help shown because nothing was asked is a usage error.
    const asked = argv.includes('--help') || argv.includes('-h') || name === 'help';
    (asked ? io.stdout : io.stderr).write(`${mainHelp()}\n`);
    return asked ? EXIT_OK : EXIT_USAGE;
  }

  const command = findCommand(name);
  let catalog: Catalog | undefined;
  try {
    if (!command)
      throw new UsageError(
        `unknown command "${name}" (commands: ${COMMANDS.map((each) => each.name).join(', ')})`,
      );
    const { values, args } = parseCommandLine(command, argv);
    if (values.help) {
      io.stdout.write(`${commandHelp(command)}\n`);
      return EXIT_OK;
    }
    checkPositionals(command, args);
    checkLocation(values);
    const json = values.json === true;
    const context: CommandContext = {
      io,
      values,
      args,
      json,
      catalog: () => (catalog ??= openCatalog(values, io)),
      progress: (label) =>
        values.progress === true || io.stderr.isTTY === true
          ? progressOnStderr(io, label)
          : undefined,
      output: (document, human) =>
        io.stdout.write(`${json ? JSON.stringify(document, null, 2) : human()}\n`),
    };
    await command.run(context);
    return EXIT_OK;
  } catch (error) {
    return report(error, io, wantsJson);
  } finally {
    await catalog?.close().catch(() => undefined);
  }
}

function isSystemError(error: unknown): boolean {
  const { code, syscall } = (error ?? {}) as { code?: unknown; syscall?: unknown };
  return error instanceof Error && typeof code === 'string' && typeof syscall === 'string';
}

/** Prints the error (and, with --json, a JSON document scripts can parse); picks the exit code. */
function report(error: unknown, io: Io, json: boolean): number {
  const usage = error instanceof UsageError;
  // System errors (a file that cannot be read, a full disk) say what is wrong in their message.
  const known =
    usage || error instanceof CliFailure || error instanceof MemoirError || isSystemError(error);
  const text = (error as Error)?.message ?? String(error);
  const message = known ? text : `unexpected error: ${text}`;
  const code = usage ? 'USAGE' : error instanceof MemoirError ? error.code : 'FAILED';
  io.stderr.write(`memoir: ${message}\n`);
  // A stack helps a bug report, on the terminal; never inside the JSON scripts parse.
  if (!known && (error as Error)?.stack) io.stderr.write(`${(error as Error).stack}\n`);
  if (usage) {
    const topic = (error as UsageError).command;
    io.stderr.write(`Run \`memoir ${topic ? `${topic} ` : ''}--help\` for usage.\n`);
  }
  if (json) io.stdout.write(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`);
  return usage ? EXIT_USAGE : EXIT_FAILURE;
}
