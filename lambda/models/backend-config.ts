/**
 * The model backend's configuration, read from the function's environment (`KEYGATE_MODELS_CONFIG`) once
 * per container. The schema, type, limits and defaults are declared once in common/model-backend-config.ts,
 * which the ModelBackend construct checks against at synth.
 */
import {
  MODELS_CONFIG_ENV,
  validateBackendConfig,
  type BackendConfig,
} from '../../common/model-backend-config';
import type { ConfigCheck } from '../../common/config-issues';

export {
  DEFAULT_INVOKE_REQUIREMENT,
  DEFAULT_LIMITS,
  isFoundationModelId,
  isRecord,
  MAX_LIMITS,
  validateBackendConfig,
  type BackendConfig,
  type BackendLimits,
  type MachineCallerConfig,
} from '../../common/model-backend-config';
export { MODEL_ID_PATTERN } from '../../common/model-contract';

export const CONFIG_ENV = MODELS_CONFIG_ENV;

export type ConfigResult = ConfigCheck<BackendConfig>;

/** Parses and validates the environment. Every message names the field. */
export function loadBackendConfig(env: Readonly<Record<string, string | undefined>>): ConfigResult {
  const raw = env[CONFIG_ENV];
  if (raw === undefined || raw === '')
    return { ok: false, errors: [`${CONFIG_ENV} is not set`], fields: [CONFIG_ENV] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, errors: [`${CONFIG_ENV} is not valid JSON`], fields: [CONFIG_ENV] };
  }
  return validateBackendConfig(parsed);
}
