import fs from 'node:fs';
import path from 'node:path';

/**
 * The import graph of the library's own sources (lib/ and backends/), read from the text of
 * each file: static imports and re-exports (type-only ones included, they tie modules together
 * for a reader just the same), `require(...)` and `import(...)` with relative specifiers.
 */
export type ImportGraph = Map<string, string[]>;

const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|(?:require|import)\(\s*['"](\.[^'"]+)['"]\s*\)|^import\s*['"](\.[^'"]+)['"]/gm;

function sourcesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(dir, file));
}

function resolveSpecifier(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier);
  return [`${base}.ts`, path.join(base, 'index.ts'), base].find(
    (candidate) => fs.existsSync(candidate) && fs.statSync(candidate).isFile(),
  );
}

export function importGraph(root: string, folders: string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const folder of folders) {
    for (const file of sourcesUnder(path.join(root, folder))) {
      const text = fs.readFileSync(file, 'utf8');
      const targets = new Set<string>();
      for (const match of text.matchAll(SPECIFIER)) {
        const target = resolveSpecifier(file, match[1] ?? match[2] ?? match[3]);
        if (target) targets.add(path.relative(root, target));
      }
      graph.set(path.relative(root, file), [...targets]);
    }
  }
  return graph;
}

/** Every strongly connected component with more than one module, or a module importing itself. */
export function importCircles(graph: ImportGraph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];

  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)?.includes(node)) circles.push(component.sort());
  };

  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return circles;
}
