import * as fs from 'node:fs';
import { findSourceMap } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { processState, shortDigest } from '../util';

/**
 * Where a memoized function was defined: the first frame of the stack outside memoir's own
 * code (the `cached(...)` call, or the `@cached(...)` decorator expression). Default cache
 * names are derived from it, so two functions called `load` in two modules, or in two
 * projects sharing a cache directory, never share entries.
 */
export interface DefinitionSite {
  /** Absolute path of the defining module. */
  file: string;
  line: number;
  column: number;
}

interface StackFrame {
  getFileName(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
}

function stackFrames(): StackFrame[] {
  const original = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 30;
    Error.prepareStackTrace = (_error, frames) => frames;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, stackFrames);
    return (holder.stack as StackFrame[] | undefined) ?? [];
  } finally {
    Error.prepareStackTrace = original;
    Error.stackTraceLimit = limit;
  }
}

function fileOf(frame: StackFrame): string | undefined {
  const name = frame.getFileName();
  if (!name) return undefined;
  if (name.startsWith('file://')) return fileURLToPath(name);
  return path.isAbsolute(name) ? name : undefined;
}

const packageRoots = new Map<string, string | undefined>();

/** The directory of the nearest package.json above `file`, if any. */
export function packageRootOf(file: string): string | undefined {
  const dir = path.dirname(file);
  if (packageRoots.has(dir)) return packageRoots.get(dir);
  let root: string | undefined;
  for (let at = dir; ; at = path.dirname(at)) {
    if (fs.existsSync(path.join(at, 'package.json'))) {
      root = at;
      break;
    }
    if (path.dirname(at) === at) break;
  }
  packageRoots.set(dir, root);
  return root;
}

/** Folders holding memoir's own code: its sources (lib/) and its build (dist/). */
function ownFolders(): string[] {
  const here = fileOf(stackFrames()[0]!) ?? __filename;
  const root = packageRootOf(here) ?? path.dirname(here);
  return [path.join(root, 'lib') + path.sep, path.join(root, 'dist') + path.sep];
}

let own: string[] | undefined;

/**
 * The position in the source the user wrote, where a source map says (code run through tsx,
 * or any loader that registers maps): a position in transpiled output would change with the
 * transpiler, not with the code.
 */
function original(fileName: string, site: DefinitionSite): DefinitionSite {
  try {
    const map = findSourceMap(fileName);
    const entry = map?.findEntry(site.line - 1, site.column - 1) as
      | { originalLine?: number; originalColumn?: number }
      | undefined;
    if (entry?.originalLine === undefined || entry.originalColumn === undefined) return site;
    return { file: site.file, line: entry.originalLine + 1, column: entry.originalColumn + 1 };
  } catch {
    return site;
  }
}

export function definitionSite(): DefinitionSite | undefined {
  own ??= ownFolders();
  for (const frame of stackFrames()) {
    const file = fileOf(frame);
    if (!file || own.some((dir) => file.startsWith(dir))) continue;
    return original(frame.getFileName()!, { file, line: frame.getLineNumber() ?? 0, column: frame.getColumnNumber() ?? 0 });
  }
  return undefined;
}

const packageNames = new Map<string, string>();

function packageNameOf(root: string): string {
  let name = packageNames.get(root);
  if (name === undefined) {
    try {
      const parsed = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name?: unknown };
      name = typeof parsed.name === 'string' && parsed.name ? parsed.name : path.basename(root);
    } catch {
      name = path.basename(root);
    }
    packageNames.set(root, name);
  }
  return name;
}

/** `my-app/src/users.ts`: the defining module, by package name and path inside the package. */
export function moduleName(site: DefinitionSite): string {
  const root = packageRootOf(site.file);
  if (!root) return site.file.split(path.sep).join('/');
  return `${packageNameOf(root)}/${path.relative(root, site.file).split(path.sep).join('/')}`;
}

/** The default cache name: `my-app/src/users.ts:load`, or `…:12:20` for an anonymous function. */
export function defaultName(site: DefinitionSite | undefined, local: string | undefined): string | undefined {
  if (!site) return local;
  return `${moduleName(site)}:${local ?? `${site.line}:${site.column}`}`;
}

export function describeSite(site: DefinitionSite | undefined): string {
  return site ? `${site.file}:${site.line}:${site.column}` : 'an unknown place';
}

/** Default names and the definition that first used each, one map per process (see lib/util/process-state.ts). */
const claimed = processState('claimed-default-names', () => new Map<string, { place: string; source: string }>());

/** What a definition claiming a default name learns: the name to use, and the place it collided with. */
export interface DefaultNameClaim {
  name: string;
  collidedWith?: string;
}

/**
 * Records that the definition at `site` of a function with text `source()` uses the default
 * name `name`. The same place defining again (a `cached()` inside a request handler) is no
 * collision, and reads the function's text no more. Another place defining the same
 * function text shares the name (it is the same computation), with a warning. Another place
 * defining a different function gets its own name, `name~<digest of its text>`: two functions
 * must never read each other's results, and the digest keeps that name the same in every
 * process and run that defines the same function.
 */
export function claimDefaultName(name: string, site: DefinitionSite | undefined, source: () => string): DefaultNameClaim {
  const place = describeSite(site);
  const first = claimed.get(name);
  if (first === undefined) {
    // The text, not the function: holding the function would keep it (and its entries) alive.
    claimed.set(name, { place, source: source() });
    return { name };
  }
  if (first.place === place) return { name };
  const text = source();
  if (first.source === text) return { name, collidedWith: first.place };
  return { name: `${name}~${shortDigest(text)}`, collidedWith: first.place };
}
