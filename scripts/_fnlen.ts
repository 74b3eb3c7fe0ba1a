import * as ts from 'typescript';
import { readFileSync } from 'node:fs';
for (const f of process.argv.slice(2)) {
  const src = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (n: ts.Node) => {
    if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n)) {
      const a = src.getLineAndCharacterOfPosition(n.getStart()).line, b = src.getLineAndCharacterOfPosition(n.getEnd()).line;
      if (b - a + 1 > 60) console.log(f, a + 1, b - a + 1, (n as ts.FunctionDeclaration).name?.getText() ?? '');
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
}
