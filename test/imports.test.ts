// No module of src/ imports itself back, by any path and type imports included: a cycle
// makes the load order decide what is defined, and says two modules are one concept. The
// import graph is read with TypeScript's own preprocessor, no dependency of its own.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import ts from 'typescript';

const SRC = path.resolve(import.meta.dirname, '..', 'src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [file] : [];
  });
}

/** Each file's relative imports within src/, by absolute path. */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map((ref) => ref.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => path.resolve(path.dirname(file), name.replace(/\.js$/, '.ts')))
      .filter((target) => fs.existsSync(target));
    graph.set(file, targets);
  }
  return graph;
}

/** The cycles of a graph, each as the path that closes it (depth first, each reported once). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (node: string): void => {
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (onStack.has(next)) found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!done.has(next)) visit(next);
    }
    stack.pop();
    onStack.delete(node);
    done.add(node);
  };
  for (const node of graph.keys()) if (!done.has(node)) visit(node);
  return found;
}

t.test('the walk finds a cycle where there is one', async (t) => {
  const cases: [string, Record<string, string[]>, string[][]][] = [
    ['none', { a: ['b'], b: ['c'], c: [] }, []],
    ['two files', { a: ['b'], b: ['a'] }, [['a', 'b', 'a']]],
    ['through a third', { a: ['b'], b: ['c'], c: ['a'] }, [['a', 'b', 'c', 'a']]],
    ['a diamond is no cycle', { a: ['b', 'c'], b: ['d'], c: ['d'], d: [] }, []],
  ];
  for (const [what, edges, want] of cases) t.same(cycles(new Map(Object.entries(edges))), want, what);
});

t.test('src/ has no import cycle', async (t) => {
  const graph = importGraph(sources(SRC));
  t.ok(graph.size > 50, `the walk read the tree (${graph.size} files)`);
  const found = cycles(graph).map((cycle) => cycle.map((file) => path.relative(SRC, file)).join(' > '));
  t.same(found, [], 'no module imports itself back');
});
