/**
 * `npm run build:local`: the local gateway as the package ships it, `dist/local/index.cjs` (the `keygate
 * local` command and the `keygate/local` API) with its declaration file `dist/local/index.d.ts`.
 *
 * One self-contained bundle: oidc-provider, jose, selfsigned, aws-jwt-verify and the SigV4 signer are
 * bundled in, so the construct library keeps no runtime dependency (a CDK app, or a jsii consumer in
 * another language, installs nothing it does not deploy), and `keygate local` needs no install step.
 * The declaration file is emitted from local/index.ts alone, whose public types are self-contained.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'dist', 'local');

export async function buildLocal(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  await build({
    entryPoints: [path.join(ROOT, 'local', 'index.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: path.join(OUT, 'index.cjs'),
    logLevel: 'warning',
    legalComments: 'linked',
  });
  const source = fs.readFileSync(path.join(ROOT, 'local', 'index.ts'), 'utf8');
  const declaration = ts.transpileDeclaration(source, {
    fileName: 'index.ts',
    compilerOptions: { module: ts.ModuleKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true },
  });
  if (declaration.diagnostics?.length) {
    const text = declaration.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    throw new Error(`local/index.ts: its declarations need explicit types:\n${text.join('\n')}`);
  }
  if (/^\s*(?:import|export .* from)\b/m.test(declaration.outputText)) {
    throw new Error(
      'local/index.ts: its declaration file must import nothing (declare the public types there)',
    );
  }
  fs.writeFileSync(path.join(OUT, 'index.d.ts'), declaration.outputText);
}

if (require.main === module) {
  buildLocal().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
