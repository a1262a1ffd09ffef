import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';

/** One import of one source file: static, `import type`, re-export or dynamic `import()`. */
export interface ImportEdge {
  from: string;
  to: string;
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/g;

/** Resolves an import specifier written with `.js` to the TypeScript file it names. */
function resolveSpecifier(root: string, from: string, spec: string): string | undefined {
  const abs = path.resolve(root, path.dirname(from), spec);
  for (const candidate of [abs, abs.replace(/\.js$/, '.ts'), abs.replace(/\.js$/, '.tsx'), `${abs}.ts`]) {
    if (existsSync(candidate) && /\.(ts|tsx|js|mjs)$/.test(candidate)) return path.relative(root, candidate);
  }
  return undefined;
}

/** The relative imports of `files` (paths relative to `root`), resolved to files. */
export function importGraph(root: string, files: readonly string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const from of files) {
    const text = readFileSync(path.join(root, from), 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec) continue;
      const to = resolveSpecifier(root, from, spec);
      if (to) edges.push({ from, to });
    }
  }
  return edges;
}

/** Every import cycle among files, each as the list of files around it (Tarjan's strongly connected components). */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) (next.get(e.from) ?? next.set(e.from, []).get(e.from)!).push(e.to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
        onStack.delete(w);
        component.push(w);
        if (w === v) break;
      }
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return cycles;
}
