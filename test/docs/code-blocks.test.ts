import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';

/**
 * Every TypeScript block of README.md and docs/*.md, as a user would copy it: type-checked
 * against the built package (`import ... from 'memoir'` resolves through the exports map to
 * dist/, as in a user's project), and run with tsx unless the line before the fence says
 * `<!-- typecheck only: why -->` (a block that needs a MongoDB server, say). Each block stands
 * alone, as a user copies it: a name it uses but does not define or import fails the check.
 */
const ROOT = path.resolve(__dirname, '../..');
const WORK = path.join(ROOT, '.docs-blocks');
const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');

interface Block {
  source: string; // file:line of the fence
  code: string;
  run: boolean;
}

function blocksOf(file: string): Block[] {
  const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    // Fences may be indented (inside a list item); the block's lines lose that indentation.
    const fence = /^(\s*)```(ts|typescript)\s*$/.exec(lines[i]);
    if (!fence) {
      if (/^\s*```/.test(lines[i])) for (i++; i < lines.length && !/^\s*```/.test(lines[i]); i++);
      continue;
    }
    const start = i;
    const indent = fence[1].length;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```/.test(lines[i]); i++) body.push(lines[i].slice(indent));
    blocks.push({
      source: `${file}:${start + 1}`,
      code: body.join('\n'),
      run: !/<!--\s*typecheck only/.test(lines[start - 1] ?? '') && !/<!--\s*typecheck only/.test(lines[start - 2] ?? ''),
    });
  }
  return blocks;
}

const docs = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const blocks = docs.flatMap(blocksOf);
/** `demo.mts`, as the README tells a user to save a block: an ES module (top-level await, no clashes between blocks). */
const fileOf = (index: number) => path.join(WORK, `block-${index}.mts`);

beforeAll(() => {
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  for (const [index, block] of blocks.entries()) fs.writeFileSync(fileOf(index), block.code); // exactly as copied
});

afterAll(() => fs.rmSync(WORK, { recursive: true, force: true }));

describe('code blocks of README.md and docs/', () => {
  it('finds the blocks', () => {
    expect(blocks.length).toBeGreaterThan(5);
  });

  it('type-check against the built package', () => {
    const program = ts.createProgram(
      blocks.map((_, index) => fileOf(index)),
      {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
      },
    );
    const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const index = blocks.findIndex((_, i) => diagnostic.file?.fileName === fileOf(i));
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      return `${blocks[index]?.source ?? diagnostic.file?.fileName}: ${message}`;
    });
    expect(problems).toEqual([]);
  }, 60_000);

  const runnable = blocks.map((block, index) => ({ ...block, index })).filter((block) => block.run);
  it.each(runnable.map((block) => [block.source, block.index] as const))('%s runs', async (_source, index) => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-docs-'));
    try {
      await new Promise<void>((resolve, reject) => {
        execFile(tsx, [fileOf(index)], { cwd: ROOT, timeout: 30_000, env: { ...process.env, MEMOIR_CACHE_DIR: cacheDir } }, (error, _stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(),
        );
      });
    } finally {
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  }, 40_000);
});

describe('README.md as the package page shows it', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

  it('starts with the install line', () => {
    expect(readme).toMatch(/^# memoir\n+```sh\nnpm install memoir\n```/);
  });

  it('links to docs/ with absolute URLs (relative ones break on the package page)', () => {
    expect(readme.match(/\]\((?!https?:)[^)]*docs\//g) ?? []).toEqual([]);
  });
});
