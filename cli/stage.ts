/**
 * The stage the tools work on (the local stack, the demo, the route listing and the realm commands),
 * chosen exactly as `cdk synth` chooses it: through common/app-config-validate.ts selectStage, which
 * validates the whole configuration and picks `--stage`, else `defaultStage`, else the only stage.
 * The configuration is `--config <file>` (a KeygateAppConfig JSON), else the `keygate` context of
 * ./cdk.json when present, else the embedded default configuration.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { StageConfig } from '../common/app-config';
import { DEFAULT_APP_CONFIG } from '../common/app-config';
import { selectStage } from '../common/app-config-validate';

/** The configuration and the field path its messages name (`keygate` in cdk.json, '' in a --config file). */
export function loadAppConfig(configPath?: string, cwd = process.cwd()): { config: unknown; field: string } {
  if (configPath) return { config: parseConfigFile(readFileSync(configPath, 'utf8'), configPath), field: '' };
  const cdkJson = `${cwd}/cdk.json`;
  if (existsSync(cdkJson)) {
    const ctx = (JSON.parse(readFileSync(cdkJson, 'utf8')) as { context?: Record<string, unknown> }).context;
    if (ctx && ctx.keygate !== undefined) return { config: ctx.keygate, field: 'keygate' };
  }
  return { config: DEFAULT_APP_CONFIG, field: 'keygate' };
}

/** The selected stage; throws with every message when the configuration or the choice is wrong. */
export function loadStage(
  options: { readonly config?: string; readonly stage?: string },
  cwd = process.cwd(),
): { name: string; stage: StageConfig } {
  const { config, field } = loadAppConfig(options.config, cwd);
  const result = selectStage(config, options.stage, { field, chooseWith: '--stage <name>' });
  if (!result.ok) throw new Error(`the configuration is not valid:\n  ${result.errors.join('\n  ')}`);
  return { name: result.name, stage: result.stage };
}

function parseConfigFile(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`--config ${path} is not JSON: ${(e as Error).message}`, { cause: e });
  }
}
