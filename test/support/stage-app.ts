/**
 * The Keygate app of a stage configuration, built as `cdk synth` builds it (lib/app/build-app.ts) with
 * cdk-nag's AwsSolutions pack, bundling skipped: the set-up the stage tests share.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { StageConfig } from '../../common/app-config';
import { buildKeygateApp } from '../../lib/app/build-app';
import type { KeygateStack } from '../../lib/app/keygate-stack';
import type { NagViolation } from '../lib/helpers';
import { synthWithNag } from '../lib/helpers';

/** An app whose `keygate` context holds the one stage `name`, with cdk-nag's AwsSolutions pack added. */
export function stageApp(name: string, stage: StageConfig): App {
  const app = new App({
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), `keygate-${name}-app-`)),
    context: { keygate: { stages: { [name]: stage } }, 'aws:cdk:bundling-stacks': [] },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

/** What a synthesized stage gives its tests: the stack, its template and the cdk-nag findings. */
export interface SynthesizedStage {
  readonly stack: KeygateStack;
  readonly template: Template;
  readonly violations: NagViolation[];
}

/** Builds the app of the one stage `name` and synthesizes it with cdk-nag. */
export function synthStage(name: string, stage: StageConfig): SynthesizedStage {
  const app = stageApp(name, stage);
  const stack = buildKeygateApp(app);
  const violations = synthWithNag(app);
  return { stack, template: Template.fromStack(stack), violations };
}
