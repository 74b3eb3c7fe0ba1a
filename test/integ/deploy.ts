/**
 * `npm run integ:deploy -- [integ.<name>.ts ...] [--keep]`: runs the deploy tests in the account and
 * region of the current AWS credentials with the project's own CDK CLI: deploys each app's test stack and
 * assertion stack (the assertions run as the assertion stack deploys), reads every assertion's result
 * from the stack outputs, and destroys both stacks again (unless `--keep`). Prints one line per assertion
 * and a closing `N passed, N failed`; exits non-zero on any failure.
 *
 * This is what `integ-runner --update-on-failed` does for a deployment; integ-runner itself is the
 * better tool once its release reads this aws-cdk-lib's cloud assembly (docs/integration-tests.md).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INTEG_DIR, integApps } from './integ-snapshots';

const ROOT = path.resolve(__dirname, '..', '..');

export interface AssertionOutcome {
  readonly stack: string;
  readonly output: string;
  readonly passed: boolean;
  readonly message?: string;
}

/**
 * The assertions' results in `cdk deploy --outputs-file` output: integ-tests writes each as a stack
 * output `AssertionResults<id>` whose value is `{"status":"success"}` or `{"status":"fail","message":…}`.
 */
export function assertionOutcomes(outputs: Record<string, Record<string, string>>): AssertionOutcome[] {
  const outcomes: AssertionOutcome[] = [];
  for (const [stack, values] of Object.entries(outputs)) {
    for (const [output, value] of Object.entries(values)) {
      if (!output.startsWith('AssertionResults')) continue;
      let parsed: { status?: string; message?: string } = {};
      try {
        parsed = JSON.parse(value) as typeof parsed;
      } catch {
        // Not JSON: reported as a failure below, with the raw value.
      }
      const passed = parsed.status === 'success';
      outcomes.push({ stack, output, passed, ...(passed ? {} : { message: parsed.message ?? value }) });
    }
  }
  return outcomes;
}

function cdk(args: string[]): number {
  const result = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'cdk'), args, {
    cwd: ROOT,
    stdio: 'inherit',
  });
  return result.status ?? 1;
}

function runApp(app: string, keep: boolean): AssertionOutcome[] {
  const appCommand = `npx tsx ${path.relative(ROOT, path.join(INTEG_DIR, app))}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-integ-deploy-'));
  const outputsFile = path.join(work, 'outputs.json');
  try {
    const deployed = cdk([
      'deploy',
      '--app',
      appCommand,
      '--all',
      '--require-approval',
      'never',
      '--outputs-file',
      outputsFile,
      '--output',
      path.join(work, 'cdk.out'),
    ]);
    if (deployed !== 0 || !fs.existsSync(outputsFile)) {
      return [{ stack: app, output: 'cdk deploy', passed: false, message: `exit ${deployed}` }];
    }
    const outcomes = assertionOutcomes(
      JSON.parse(fs.readFileSync(outputsFile, 'utf8')) as Record<string, Record<string, string>>,
    );
    return outcomes.length > 0
      ? outcomes
      : [{ stack: app, output: 'outputs', passed: false, message: 'no assertion results in the outputs' }];
  } finally {
    if (!keep)
      cdk(['destroy', '--app', appCommand, '--all', '--force', '--output', path.join(work, 'cdk.out')]);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const keep = args.includes('--keep');
  const named = args.filter((a) => a !== '--keep');
  const unknown = named.filter((a) => !integApps().includes(a));
  if (unknown.length > 0) {
    console.error(`unknown deploy test(s) ${unknown.join(', ')}; known: ${integApps().join(', ')}`);
    process.exitCode = 2;
  } else {
    const outcomes = (named.length > 0 ? named : integApps()).flatMap((app) => runApp(app, keep));
    for (const o of outcomes) {
      console.log(`${o.passed ? 'PASS' : 'FAIL'} ${o.stack} ${o.output}${o.message ? `: ${o.message}` : ''}`);
    }
    const failed = outcomes.filter((o) => !o.passed).length;
    console.log(`deploy tests: ${outcomes.length - failed} passed, ${failed} failed`);
    if (failed > 0) process.exitCode = 1;
  }
}
