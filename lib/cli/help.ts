import { type Command, SHARED_HELP } from './command';
import { COMMANDS } from './commands';
import { table } from './format';

function optionTable(rows: Array<[string, string]>): string {
  return table(
    ['', ''],
    rows.map(([flag, text]) => [`  ${flag}`, text]),
  )
    .split('\n')
    .slice(1)
    .join('\n');
}

export function mainHelp(): string {
  return [
    'memoir — inspect and maintain memoir caches',
    '',
    'Usage: memoir <command> [options]',
    '',
    'Commands:',
    optionTable(COMMANDS.map((command) => [command.name, command.summary])),
    '',
    'Options (every command):',
    optionTable(SHARED_HELP),
    '',
    'Exit codes: 0 done, 1 failed (unknown cache, unreachable server, bad input file),',
    "2 usage error. Run `memoir <command> --help` for a command's own options.",
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const lines = [`Usage: ${command.usage}`, '', command.description, ''];
  if (command.optionHelp.length > 0) lines.push('Options:', optionTable(command.optionHelp), '');
  lines.push('Shared options:', optionTable(SHARED_HELP));
  return lines.join('\n');
}
