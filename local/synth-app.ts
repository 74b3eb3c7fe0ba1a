/**
 * The repository's own app, synthesized in this process into a cloud assembly for `keygate local`: the
 * same construction as `cdk synth` (bin/app.ts → buildKeygateApp), offline (no lookups), with the stage
 * configuration given as context. The Lambda bundles are built first, as cdk.json's `app` command does.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildKeygateApp } from '../lib/app/build-app';
import { buildLambdas } from '../scripts/build-lambdas';

/** Synthesizes stage `stageName` of `config` (a KeygateAppConfig) into a new folder; returns it and the stack name. */
export async function synthKeygateApp(
  config: unknown,
  stageName: string,
  outdir: string = mkdtempSync(join(tmpdir(), 'keygate-start-')),
  options: { readonly buildLambdas?: boolean } = {},
): Promise<{ assembly: string; stack: string }> {
  // Tests build the bundles once per run (test/global-setup.ts) and pass false.
  if (options.buildLambdas ?? true) await buildLambdas();
  const app = new App({ outdir, context: { keygate: config, stage: stageName } });
  const stack = buildKeygateApp(app);
  app.synth();
  return { assembly: outdir, stack: stack.stackName };
}
