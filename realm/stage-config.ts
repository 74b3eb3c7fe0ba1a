/**
 * Picks the stage the realm commands work on: `--config <file>` (a KeygateAppConfig JSON), else the
 * `keygate` context of ./cdk.json when present, else the embedded default configuration.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { KeygateAppConfig, StageConfig } from '../common/app-config';
import { DEFAULT_APP_CONFIG } from '../common/app-config';
import { validateStageConfig } from '../common/app-config-validate';

export function loadAppConfig(configPath?: string, cwd = process.cwd()): KeygateAppConfig {
  if (configPath) return parseAppConfig(readFileSync(configPath, 'utf8'), configPath);
  const cdkJson = `${cwd}/cdk.json`;
  if (existsSync(cdkJson)) {
    const ctx = (JSON.parse(readFileSync(cdkJson, 'utf8')) as { context?: Record<string, unknown> }).context;
    if (ctx && ctx.keygate !== undefined) return ctx.keygate as KeygateAppConfig;
  }
  return DEFAULT_APP_CONFIG;
}

export function selectStage(config: KeygateAppConfig, stage?: string): { name: string; stage: StageConfig } {
  const name = stage ?? config.defaultStage ?? 'dev';
  const s = config.stages?.[name];
  if (!s) {
    throw new Error(
      `--stage '${name}' is not a stage of the configuration (stages: ${Object.keys(config.stages ?? {}).join(', ')})`,
    );
  }
  // The same validation `cdk synth` applies, so a broken stage fails here with the field named.
  const errors = validateStageConfig(s, `stages.${name}`);
  if (errors.length) throw new Error(`the configuration is not valid:\n  ${errors.join('\n  ')}`);
  return { name, stage: s };
}

function parseAppConfig(text: string, path: string): KeygateAppConfig {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`--config ${path} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  if (typeof v !== 'object' || v === null || typeof (v as { stages?: unknown }).stages !== 'object') {
    throw new Error(`--config ${path} must be a JSON object with a 'stages' object`);
  }
  return v as KeygateAppConfig;
}
