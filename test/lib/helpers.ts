import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * A stack for template assertions. Bundling is skipped (`aws:cdk:bundling-stacks` empty) unless asked
 * for: esbuild runs once per synth, and most assertions are about the template, not the bundle.
 */
export function newStack(options: { bundle?: boolean; nag?: boolean } = {}): { app: App; stack: Stack } {
  const app = new App({
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-cdk-')),
    context: options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] },
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, 'Test', { env: { account: '111122223333', region: 'eu-west-1' } });
  return { app, stack };
}

/** A backend function that needs no bundling. */
export function inlineBackend(stack: Stack, id = 'Backend'): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
  });
}

export interface NagViolation {
  readonly rule: string;
  readonly paths: string[];
}

/** Synthesizes the app with cdk-nag's AwsSolutions pack (added by newStack({ nag: true })) and lists violations. */
export function synthWithNag(app: App): NagViolation[] {
  try {
    app.synth();
    return [];
  } catch (e) {
    const report = path.join(app.outdir, 'validation-report.json');
    if (!fs.existsSync(report)) throw e;
    const parsed = JSON.parse(fs.readFileSync(report, 'utf8')) as {
      pluginReports: {
        violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
      }[];
    };
    return parsed.pluginReports.flatMap((p) =>
      p.violations.map((v) => ({
        rule: v.ruleName,
        paths: v.violatingConstructs.map((c) => c.constructPath),
      })),
    );
  }
}

/**
 * The policy document grantInvoke writes: execute-api:Invoke on exactly one route of one API and stage,
 * `{ region }:111122223333:<api>/<stage>/<METHOD>/<path>`, with the API referenced by a logical id that
 * starts with `apiIdPrefix`.
 */
export function invokeGrantDocument(region: string, apiIdPrefix: string, stageMethodPath: string) {
  return {
    Statement: [
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              `:execute-api:${region}:111122223333:`,
              { Ref: Match.stringLikeRegexp(`^${apiIdPrefix}`) },
              stageMethodPath,
            ],
          ],
        },
      },
    ],
  };
}
