/**
 * `npm run build:jsii`: compiles the construct library (lib/ and the common/ contracts it imports) with
 * jsii into dist/ (JavaScript + .d.ts) and writes the `.jsii` assembly that Construct Hub turns into
 * Python, Java, .NET and Go packages. `npm run docgen` (`--docgen`) then renders API.md from the assembly.
 *
 * jsii compiles with tsconfig.jsii.json (validated against jsii's strict rule set), not the repository's
 * tsconfig.json, which type-checks everything (tests, scripts, Lambda code) without emitting.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');

/**
 * jsii prints a banner on every run under Node.js 20 (end of life for jsii); the variable names the
 * major versions whose banner is silenced.
 */
export const JSII_ENV = { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' };

function run(command: string, args: string[]): void {
  const bin = path.join(ROOT, 'node_modules', '.bin', command);
  const result = spawnSync(bin, args, { cwd: ROOT, env: JSII_ENV, stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
  }
}

function compile(): void {
  // Only jsii's own output: a source file renamed or removed must not live on in the package.
  for (const dir of ['dist/lib', 'dist/common'])
    fs.rmSync(path.join(ROOT, dir), { recursive: true, force: true });
  run('jsii', [
    // The peer ranges are the oldest versions Keygate supports; the lockfile pins aws-cdk-lib at exactly
    // that minimum, and constructs comes in through aws-cdk-lib's own peer range.
    '--silence-warnings',
    'metadata/missing-dev-dependency',
  ]);
}

function docgen(): void {
  run('jsii-docgen', ['--output', 'API.md']);
}

if (require.main === module) {
  try {
    if (process.argv.includes('--docgen')) docgen();
    else compile();
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 1;
  }
}
