/**
 * `npm run check`'s import boundaries: the rules of .dependency-cruiser.mjs (runtimes, the pure
 * core, no simulator in production, no module cycles), plus one dependency-cruiser cannot say:
 * no cycles between folders (`lib/contract` → `lib/risk` → `lib/contract` is a tangle even when no
 * single module imports itself back). Prints each problem on a line; exit status 1 when any.
 *
 *   tsx scripts/check-imports.ts [--root DIR]
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

/** The folders whose imports are checked, relative to the root. */
export const CHECKED_FOLDERS = [
  'lib',
  'components',
  'entrypoints',
  'server',
  'cli',
  'sim',
  'bench',
  'bin',
  'scripts',
  'tests',
] as const;

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ImportProblem {
  readonly rule: string;
  readonly from: string;
  readonly to: string;
}

/** Every rule violation and folder cycle under `root` (a repository laid out like this one). */
export async function checkImports(root: string = REPO_ROOT): Promise<ImportProblem[]> {
  const config = (
    (await import(path.join(REPO_ROOT, '.dependency-cruiser.mjs'))) as { default: IConfiguration }
  ).default;
  const tsConfig = extractTSConfig(path.join(root, 'tsconfig.json'));
  const present = CHECKED_FOLDERS.filter((f) => existsDir(path.join(root, f)));
  const { output } = await cruise(
    [...present],
    {
      ...config.options,
      baseDir: root,
      tsConfig: { fileName: path.join(root, 'tsconfig.json') },
      validate: true,
      ruleSet: { forbidden: config.forbidden ?? [] },
      outputType: 'json',
    },
    undefined,
    { tsConfig },
  );
  const result = (typeof output === 'string' ? JSON.parse(output) : output) as ICruiseResult;
  const problems: ImportProblem[] = result.summary.violations.map((v) => ({
    rule: v.rule.name,
    from: v.from,
    to: v.cycle ? v.cycle.map((c) => c.name).join(' → ') : v.to,
  }));
  return [...problems, ...folderCycles(result)];
}

function existsDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Sibling folders that import each other, directly or round a longer loop. Each import is seen
 * from the closest folder holding both files: `lib/contract/api.ts` → `lib/risk/index.ts` is an
 * arrow `lib/contract` → `lib/risk`. An import between a folder and a file directly in its parent
 * (an index composing its sub-folders, which use the parent's shared helpers) is no arrow.
 */
export function folderCycles(result: ICruiseResult): ImportProblem[] {
  const edges = new Map<string, Set<string>>();
  const examples = new Map<string, string>();
  for (const m of result.modules) {
    if (m.coreModule || m.source.startsWith('node_modules/')) continue;
    for (const d of m.dependencies) {
      if (d.coreModule || d.couldNotResolve || d.resolved.startsWith('node_modules/')) continue;
      const arrow = siblingFolders(m.source, d.resolved);
      if (!arrow) continue;
      const [from, to] = arrow;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
      if (!examples.has(`${from}→${to}`)) examples.set(`${from}→${to}`, `${m.source} → ${d.resolved}`);
    }
  }
  return stronglyConnected(edges)
    .filter((group) => group.length > 1)
    .map((group) => {
      const inGroup = new Set(group);
      const arrows = group.flatMap((f) =>
        [...(edges.get(f) ?? [])].filter((t) => inGroup.has(t)).map((t) => examples.get(`${f}→${t}`)!),
      );
      return { rule: 'no-folder-cycles', from: group.join(' ⇄ '), to: arrows.join('; ') };
    });
}

/** The two sibling folders an import crosses between, or null when one side is a file of their parent. */
function siblingFolders(from: string, to: string): [string, string] | null {
  const a = from.split('/');
  const b = to.split('/');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i += 1;
  // a[i] and b[i] are the first differing parts; each is a folder only if more parts follow.
  if (i >= a.length - 1 || i >= b.length - 1) return null;
  return [a.slice(0, i + 1).join('/'), b.slice(0, i + 1).join('/')];
}

/** Tarjan's algorithm: the strongly connected components of a directed graph. */
function stronglyConnected(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const nodes = new Set([...edges.keys(), ...[...edges.values()].flatMap((s) => [...s])]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      groups.push(group.sort());
    }
  };
  for (const v of [...nodes].sort()) if (!index.has(v)) visit(v);
  return groups;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rootFlag = process.argv.indexOf('--root');
  const root = rootFlag > 0 ? path.resolve(process.argv[rootFlag + 1] ?? '.') : REPO_ROOT;
  const problems = await checkImports(root);
  for (const p of problems) console.error(`${p.rule}: ${p.from} → ${p.to}`);
  console.log(
    problems.length === 0
      ? 'imports: no boundary violations, no module or folder cycles'
      : `imports: ${problems.length} problem(s)`,
  );
  process.exitCode = problems.length === 0 ? 0 : 1;
}
