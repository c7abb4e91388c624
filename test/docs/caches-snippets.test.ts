import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * The TypeScript blocks of docs/caches.md and of the README's key-value section are copyable
 * as they stand: each one, as its own module importing from 'memoir', type-checks against the
 * sources (top-level await allowed, as in a user's ESM file).
 */
const ROOT = path.resolve(__dirname, '../..');

const tsBlocks = (markdown: string) => [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);

function readmeSection(title: string): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${title}\n`);
  return start < 0 ? '' : readme.slice(start, readme.indexOf('\n## ', start + 1));
}

function diagnosticsOf(blocks: string[]): string[] {
  const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const options = { ...parsed.options, module: ts.ModuleKind.ES2022, noEmit: true, types: ['node'] };
  const files = new Map(blocks.map((text, i) => [path.join(ROOT, 'docs', `caches-snippet-${i}.ts`), text]));
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (file) => files.has(file) || ts.sys.fileExists(file);
  host.readFile = (file) => files.get(file) ?? readFile(file);
  host.getSourceFile = (file, language) => {
    const text = files.get(file);
    return text !== undefined ? ts.createSourceFile(file, text, language) : getSourceFile(file, language);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  return [...files.keys()].flatMap((file) =>
    ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => `${path.basename(file)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`),
  );
}

test('every TypeScript block of docs/caches.md and the README’s key-value section type-checks', () => {
  const blocks = [...tsBlocks(fs.readFileSync(path.join(ROOT, 'docs/caches.md'), 'utf8')), ...tsBlocks(readmeSection('Key-value caches'))];
  expect(blocks.length).toBeGreaterThanOrEqual(10);
  expect(diagnosticsOf(blocks)).toEqual([]);
});
