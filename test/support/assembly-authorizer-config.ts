/**
 * The authorizer config a stage deploys, as `cdk synth` renders it into the authorizer function's
 * `KEYGATE_CONFIG` (read back from the synthesized assembly as `keygate local` reads it), for tests that
 * run the authorizer core on what the construct really configures instead of a hand-built config.
 */
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import type { StageConfig } from '../../common/app-config';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import { AUTHORIZER_CONFIG_ENV } from '../../common/authorizer-config';
import { readAssembly } from '../../local/assembly/read-assembly';
import { synthKeygateApp } from '../../local/synth-app';

/** Synthesizes `stage` (with the bundles test/global-setup.ts built) and returns its one authorizer's config. */
export async function synthesizedAuthorizerConfig(stage: StageConfig): Promise<AuthorizerConfig> {
  const synth = await synthKeygateApp({ ...DEFAULT_APP_CONFIG, stages: { dev: stage } }, 'dev', undefined, {
    buildLambdas: false,
  });
  const configs = Object.values(readAssembly(synth.assembly, synth.stack).functions)
    .map((f) => f.environment[AUTHORIZER_CONFIG_ENV])
    .filter((raw): raw is string => raw !== undefined);
  // One authorizer function serves every API of the stage.
  if (configs.length !== 1) throw new Error(`expected one authorizer config, found ${configs.length}`);
  return JSON.parse(configs[0]) as AuthorizerConfig;
}
