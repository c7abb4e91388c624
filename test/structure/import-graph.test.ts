import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importCircles, importGraph } from './import-graph';

const ROOT = path.resolve(__dirname, '../..');

describe('the import graph of lib/ and backends/', () => {
  const graph = importGraph(ROOT, ['lib', 'backends']);

  it('has no circle, type-only imports included', () => {
    expect(importCircles(graph)).toEqual([]);
  });

  it('lib/ never imports a backend statically: backends load where they are chosen', () => {
    const staticImport = /^import (?!type )[^;]*from '(?:\.\.\/)+backends\//m;
    const offenders = [...graph.keys()]
      .filter((file) => file.startsWith('lib/'))
      .filter((file) => staticImport.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('crosses into a folder of lib/ only through its face (index.ts)', () => {
    const folderOf = (file: string) => /^lib\/([^/]+)\/.+$/.exec(file)?.[1];
    const offenders = [...graph].flatMap(([file, targets]) =>
      targets
        .filter((target) => folderOf(target) && folderOf(target) !== folderOf(file))
        .filter((target) => !target.endsWith('/index.ts'))
        .map((target) => `${file} -> ${target}`),
    );
    expect(offenders).toEqual([]);
  });

  it('keeps the top level of lib/ to the public faces (under 12 files)', () => {
    const topLevel = fs.readdirSync(path.join(ROOT, 'lib')).filter((entry) => entry.endsWith('.ts'));
    expect(topLevel.length).toBeLessThan(12);
  });
});

describe('the circle finder', () => {
  // The check above is only as good as its finder: prove it sees a circle, type-only too.
  it('finds a circle made of a type-only import and a require', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoir-graph-'));
    fs.mkdirSync(path.join(dir, 'lib'));
    fs.writeFileSync(path.join(dir, 'lib', 'a.ts'), "import type { B } from './b';\nexport type A = B;\n");
    fs.writeFileSync(path.join(dir, 'lib', 'b.ts'), "export type B = 1;\nconst c = require('./c');\n");
    fs.writeFileSync(path.join(dir, 'lib', 'c.ts'), "export { A } from './a';\n");
    fs.writeFileSync(path.join(dir, 'lib', 'd.ts'), "import { A } from './a';\n");
    expect(importCircles(importGraph(dir, ['lib']))).toEqual([['lib/a.ts', 'lib/b.ts', 'lib/c.ts']]);
  });
});
