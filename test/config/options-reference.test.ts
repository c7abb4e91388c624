import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { resetGlobalParams, setGlobalParams } from '../../lib/config/global-params';
import { CACHED_OPTION_NAMES, validateOptions } from '../../lib/config/validate';
import { MemoirError } from '../../lib/errors';

/**
 * The README's options reference cannot drift from the code: its tables are compared with the
 * members of the exported option types, read from the sources with the TypeScript compiler.
 *
 * The README format this test relies on:
 * - the function options: the first markdown table after a heading whose text contains
 *   "Options" (any case) and not "call", before the next heading; e.g. `## Options` with
 *   `| option | default | meaning |`;
 * - the per-call options: the first table after a heading whose text contains both "call" and
 *   "options" (any case), e.g. `### Per-call options (\`fn.with(options)\`)` with
 *   `| option | meaning |`;
 * - in both, the first column of each body row holds the option name in backticks (a row may
 *   name several, like `` `cleanupStale` / `cleanupInterval` ``).
 */

const ROOT = path.resolve(__dirname, '../..');
const README = path.join(ROOT, 'README.md');

// ── the types, as the compiler sees them ────────────────────────────────────────────────────

function loadProgram(): { checker: ts.TypeChecker; program: ts.Program } {
  const configPath = path.join(ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  // Only the two files we read (and what they import): fast, and independent of test files.
  const program = ts.createProgram([path.join(ROOT, 'lib/options.ts'), path.join(ROOT, 'lib/config/global-params.ts')], {
    ...parsed.options,
    noEmit: true,
  });
  return { checker: program.getTypeChecker(), program };
}

interface Member {
  name: string;
  documented: boolean;
}

/** The members of an exported interface, inherited and mapped ones (Omit<...>) included. */
function membersOf(file: string, interfaceName: string): Member[] {
  const { checker, program } = loaded;
  const source = program.getSourceFile(path.join(ROOT, file));
  if (!source) throw new Error(`${file} is not part of the program`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const symbol = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((s) => s.name === interfaceName);
  if (!symbol) throw new Error(`${file} does not export ${interfaceName}`);
  const type = checker.getDeclaredTypeOfSymbol(symbol);
  return checker.getPropertiesOfType(type).map((property) => ({
    name: property.name,
    documented: ts.displayPartsToString(property.getDocumentationComment(checker)).trim() !== '',
  }));
}

const loaded = loadProgram();
const names = (members: Member[]) => members.map((m) => m.name).sort();

// ── the README's tables ─────────────────────────────────────────────────────────────────────

interface Section {
  heading: string;
  /** The option names of the first table under the heading, in order (duplicates kept). */
  tableNames: string[] | undefined;
}

function sections(markdown: string): Section[] {
  const result: Section[] = [];
  let current: Section | undefined;
  let table: string[] | undefined;
  let inTable = false;
  let tableDone = false;
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (inFence) continue;
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      current = { heading: heading[1]!.trim(), tableNames: undefined };
      result.push(current);
      table = undefined;
      inTable = false;
      tableDone = false;
      continue;
    }
    if (!current || tableDone) continue;
    const isRow = /^\s*\|/.test(line);
    if (!isRow) {
      if (inTable) tableDone = true;
      continue;
    }
    if (!inTable) {
      inTable = true;
      table = current.tableNames = [];
      continue; // the header row
    }
    const cells = splitRow(line);
    if (cells.every((cell) => /^:?-+:?$/.test(cell))) continue; // the separator row
    const first = cells[0] ?? '';
    const inBackticks = [...first.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.trim());
    table!.push(...(inBackticks.length > 0 ? inBackticks : [`<no backticked name in "${first}">`]));
  }
  return result;
}

/** Cells of a table row; `\|` inside a cell is a literal pipe, not a separator. */
function splitRow(line: string): string[] {
  const trimmed = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return trimmed.split(/(?<!\\)\|/).map((cell) => cell.trim());
}

function tableUnder(matches: (heading: string) => boolean, description: string): string[] {
  if (!fs.existsSync(README)) throw new Error('README.md does not exist');
  const all = sections(fs.readFileSync(README, 'utf8'));
  const section = all.find((s) => matches(s.heading) && s.tableNames !== undefined);
  if (!section?.tableNames) {
    throw new Error(
      `README.md has no ${description}: expected a heading ${
        description.includes('call') ? 'containing "call" and "options"' : 'containing "Options" (not "call")'
      } followed by a markdown table whose first column holds each option name in backticks. ` +
        `Headings found: ${all.map((s) => JSON.stringify(s.heading)).join(', ')}`,
    );
  }
  return section.tableNames;
}

const isCallHeading = (heading: string) => /call/i.test(heading) && /options/i.test(heading);
const isOptionsHeading = (heading: string) => /options/i.test(heading) && !/call/i.test(heading);

const duplicates = (list: string[]) => list.filter((name, i) => list.indexOf(name) !== i);

// ── the tests ───────────────────────────────────────────────────────────────────────────────

describe('options reference (README.md) against lib/options.ts', () => {
  const cachedOptions = membersOf('lib/options.ts', 'CachedOptions');
  const callOptions = membersOf('lib/options.ts', 'CallOptions');

  it('reads the option types (sanity: the parser found them)', () => {
    expect(names(cachedOptions)).toEqual(expect.arrayContaining(['name', 'backend', 'staleAfter', 'nextTime']));
    expect(names(callOptions)).toEqual(expect.arrayContaining(['skipCache', 'overwriteCache', 'maxAge']));
  });

  it('documents every option in the source', () => {
    const undocumented = [...cachedOptions, ...callOptions].filter((m) => !m.documented).map((m) => m.name);
    expect(undocumented).toEqual([]);
  });

  it('lists exactly the members of CachedOptions in the options table', () => {
    const table = tableUnder(isOptionsHeading, 'options table');
    expect(duplicates(table)).toEqual([]);
    expect([...table].sort()).toEqual(names(cachedOptions));
  });

  it('accepts at runtime exactly the members of CachedOptions (unknown keys are refused)', () => {
    expect([...CACHED_OPTION_NAMES].sort()).toEqual(names(cachedOptions));
    expect(() => validateOptions({ stalAfter: '1h' } as never)).toThrow(/Unknown option "stalAfter"/);
  });

  it('lists exactly the members of CallOptions in the per-call options table', () => {
    const table = tableUnder(isCallHeading, 'per-call options table');
    expect(duplicates(table)).toEqual([]);
    expect([...table].sort()).toEqual(names(callOptions));
  });
});

describe('global parameters against CachedOptions', () => {
  afterEach(() => resetGlobalParams());

  const cachedOptions = new Set(names(membersOf('lib/options.ts', 'CachedOptions')));
  const globalParams = names(membersOf('lib/options.ts', 'GlobalParams'));

  /** The keys setGlobalParams accepts, as its UNKNOWN_PARAM error lists them. */
  function acceptedKeys(): string[] {
    try {
      setGlobalParams({ 'no such parameter': 1 } as never);
    } catch (error) {
      expect(error).toBeInstanceOf(MemoirError);
      expect((error as MemoirError).code).toBe('UNKNOWN_PARAM');
      const known = /Known: (.*)\.$/.exec((error as Error).message);
      if (!known) throw new Error(`UNKNOWN_PARAM no longer lists the known keys: ${(error as Error).message}`);
      return known[1]!.split(',').map((key) => key.trim()).sort();
    }
    throw new Error('setGlobalParams accepted an unknown key');
  }

  /** Whether setGlobalParams takes `key` (any other validation failure still counts as taken). */
  function accepts(key: string): boolean {
    try {
      setGlobalParams({ [key]: key === 'cachingEnabled' ? true : undefined } as never);
      return true;
    } catch (error) {
      return !(error instanceof MemoirError && error.code === 'UNKNOWN_PARAM');
    } finally {
      resetGlobalParams();
    }
  }

  it('accepts only keys that are CachedOptions members or cachingEnabled', () => {
    const accepted = acceptedKeys();
    expect(accepted.length).toBeGreaterThan(0);
    // The error message is the list; probing each key proves the list is what is enforced.
    expect(accepted.filter((key) => !accepts(key))).toEqual([]);
    expect(accepted.filter((key) => key !== 'cachingEnabled' && !cachedOptions.has(key))).toEqual([]);
  });

  it('accepts every member of the GlobalParams type, and no key outside it', () => {
    const accepted = acceptedKeys();
    expect(globalParams.filter((key) => !accepts(key))).toEqual([]);
    expect(accepted.filter((key) => !globalParams.includes(key))).toEqual([]);
  });
});
