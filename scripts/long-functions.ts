/**
 * Lists the functions longer than a bound in the project's source folders, by the TypeScript compiler's
 * own syntax tree: every function declaration, method, constructor, accessor, function expression and
 * arrow function, measured from its first line to its last (comments inside count, as a reader reads
 * them). test/docs/function-length.test.ts fails when one appears; `npx tsx scripts/long-functions.ts`
 * prints them, longest first.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/** The folders whose functions a reader should be able to hold in their head. */
export const SOURCE_FOLDERS = ['lib', 'lambda', 'common', 'local', 'realm'] as const;

/** The longest a function may be, in lines. */
export const MAX_FUNCTION_LINES = 80;

export interface LongFunction {
  /** The file, relative to the project root, with `/` separators. */
  readonly file: string;
  /** The function's name (`Class.method`, `outer/<arrow>`), or `<anonymous>`. */
  readonly name: string;
  /** 1-based line the function starts on. */
  readonly line: number;
  readonly lines: number;
}

/** The TypeScript files under `folder` (recursively), relative to `root`, without declaration files. */
function sourceFiles(root: string, folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(rel);
      } else if (/\.(ts|mts|cts|tsx)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        out.push(rel);
      }
    }
  };
  if (fs.existsSync(path.join(root, folder))) walk(folder);
  return out.sort();
}

/** The name a reader would look for: the declaration's own, else the variable or property it is bound to. */
function functionName(node: ts.FunctionLikeDeclaration, sf: ts.SourceFile): string {
  const own = node.name && !ts.isComputedPropertyName(node.name) ? node.name.getText(sf) : undefined;
  const holder = ts.isClassLike(node.parent) && node.parent.name ? `${node.parent.name.text}.` : '';
  if (ts.isConstructorDeclaration(node)) return `${holder}constructor`;
  if (own) return `${holder}${own}`;
  const p = node.parent;
  if ((ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && p.name)
    return p.name.getText(sf);
  return '<anonymous>';
}

/** The functions of one file longer than `max` lines. */
export function longFunctionsIn(file: string, text: string, max = MAX_FUNCTION_LINES): LongFunction[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > max)
        found.push({
          file,
          name: functionName(node as ts.FunctionLikeDeclaration, sf),
          line: start + 1,
          lines,
        });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Every function over `max` lines in SOURCE_FOLDERS under `root`. */
export function longFunctions(root: string, max = MAX_FUNCTION_LINES): LongFunction[] {
  return SOURCE_FOLDERS.flatMap((folder) => sourceFiles(root, folder)).flatMap((file) =>
    longFunctionsIn(file, fs.readFileSync(path.join(root, file), 'utf8'), max),
  );
}

if (require.main === module) {
  const found = longFunctions(path.join(__dirname, '..')).sort((a, b) => b.lines - a.lines);
  for (const f of found) console.log(`${String(f.lines).padStart(4)}  ${f.file}:${f.line}  ${f.name}`);
  console.log(`${found.length} function(s) over ${MAX_FUNCTION_LINES} lines`);
  process.exitCode = found.length > 0 ? 1 : 0;
}
