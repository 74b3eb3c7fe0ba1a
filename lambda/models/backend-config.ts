/**
 * The model backend's configuration: the JSON the ModelBackend construct writes into the function's
 * environment (`KEYGATE_MODELS_CONFIG`). Validated once per container; an invalid configuration makes
 * every request fail closed with 500 `config_invalid` instead of running with guessed values.
 */
import { DEFAULT_ROUTES, type ModelConfig } from '../../common/app-config';
import { MODELS_CONFIG_ENV } from '../../common/function-env';
import {
  DEMO_MODELS,
  ENDPOINT_NAME_PATTERN,
  FOUNDATION_MODEL_ID_PATTERN,
  INFERENCE_PROFILE_PREFIX,
  MODEL_ID_PATTERN,
  MODEL_INVOKE_PATH,
} from '../../common/model-contract';
import { validateRoutes, type Requirement } from '../../common/route-model';

export const CONFIG_ENV = MODELS_CONFIG_ENV;

/** An IAM principal and the iam route keys (`METHOD /path`) it was granted on the API. */
export interface MachineCallerConfig {
  /** `arn:<partition>:iam::<account>:role/<path/>name` or `...:user/<path/>name`. */
  readonly principalArn: string;
  readonly routes: readonly string[];
}

export interface BackendLimits {
  /** Largest accepted request body, in bytes after base64 decoding. */
  readonly maxBodyBytes: number;
  /** Longest accepted `input`, in characters (UTF-16 code units). */
  readonly maxInputChars: number;
}

export interface BackendConfig {
  readonly models: readonly ModelConfig[];
  /** The requirement of `POST /models/{modelId}/invoke`; GET /models lists with the same one. */
  readonly invokeRequirement?: Requirement;
  readonly machineCallers: readonly MachineCallerConfig[];
  readonly limits: BackendLimits;
  /** Put the request input and model output into the audit line. Off unless asked for. */
  readonly logContent: boolean;
}

export const DEFAULT_LIMITS: BackendLimits = { maxBodyBytes: 64 * 1024, maxInputChars: 20_000 };
/** Hard ceilings, far below API Gateway's 10 MB payload limit and Lambda's 6 MB synchronous limit. */
export const MAX_LIMITS: BackendLimits = { maxBodyBytes: 1024 * 1024, maxInputChars: 500_000 };

/** The invoke route's requirement in the default route table. */
export const DEFAULT_INVOKE_REQUIREMENT: Requirement | undefined = DEFAULT_ROUTES.find(
  (r) => r.method === 'POST' && r.path === MODEL_INVOKE_PATH,
)?.requirement;

export { MODEL_ID_PATTERN };
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/([\x21-\x7e]+\/)?[\w+=,.@-]{1,128}$/;

export type ConfigResult = { ok: true; config: BackendConfig } | { ok: false; errors: string[] };

/** Parses and validates the environment. Every message names the field. */
export function loadBackendConfig(env: Readonly<Record<string, string | undefined>>): ConfigResult {
  const raw = env[CONFIG_ENV];
  if (raw === undefined || raw === '') return { ok: false, errors: [`${CONFIG_ENV} is not set`] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, errors: [`${CONFIG_ENV} is not valid JSON`] };
  }
  return validateBackendConfig(parsed);
}

export function validateBackendConfig(value: unknown): ConfigResult {
  const errors: string[] = [];
  if (!isRecord(value)) return { ok: false, errors: ['config must be a JSON object'] };
  const models = validateModels(value.models, errors);
  let invokeRequirement: Requirement | undefined = DEFAULT_INVOKE_REQUIREMENT;
  if (value.invokeRequirement !== undefined) {
    // Reuse the route-table validation so the backend accepts exactly what the authorizer accepts.
    const routeErrors = validateRoutes(
      [
        {
          method: 'POST',
          path: MODEL_INVOKE_PATH,
          auth: 'keycloak',
          requirement: value.invokeRequirement,
        },
      ],
      'invokeRequirement',
    );
    errors.push(
      ...routeErrors.map((e) => e.replace('invokeRequirement[0].requirement', 'invokeRequirement')),
    );
    invokeRequirement = value.invokeRequirement as Requirement;
  }
  const machineCallers = validateMachineCallers(value.machineCallers, errors);
  const limits = validateLimits(value.limits, errors);
  if (value.logContent !== undefined && typeof value.logContent !== 'boolean') {
    errors.push('logContent must be a boolean');
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    config: { models, invokeRequirement, machineCallers, limits, logContent: value.logContent === true },
  };
}

function validateModels(value: unknown, errors: string[]): ModelConfig[] {
  if (!Array.isArray(value) || value.length === 0) {
    errors.push('models must be a non-empty array');
    return [];
  }
  const seen = new Set<string>();
  const out: ModelConfig[] = [];
  value.forEach((m: unknown, i) => {
    const at = `models[${i}]`;
    if (!isRecord(m)) {
      errors.push(`${at} must be an object`);
      return;
    }
    if (typeof m.id !== 'string' || !MODEL_ID_PATTERN.test(m.id)) {
      errors.push(`${at}.id must match ${MODEL_ID_PATTERN.source}`);
      return;
    }
    if (seen.has(m.id)) errors.push(`${at}.id '${m.id}' is duplicated`);
    seen.add(m.id);
    if (m.description !== undefined && (typeof m.description !== 'string' || m.description.length > 256)) {
      errors.push(`${at}.description must be a string of at most 256 characters`);
    }
    switch (m.kind) {
      case 'demo':
        if (!DEMO_MODELS.includes(m.demo as (typeof DEMO_MODELS)[number])) {
          errors.push(`${at}.demo must be one of ${DEMO_MODELS.join(', ')}`);
        }
        break;
      case 'bedrock':
        if (typeof m.bedrockModelId !== 'string' || !isFoundationModelId(m.bedrockModelId)) {
          errors.push(
            `${at}.bedrockModelId must be a foundation-model id such as anthropic.claude-3-haiku-20240307-v1:0`,
          );
        }
        break;
      case 'sagemaker':
        if (
          typeof m.sagemakerEndpointName !== 'string' ||
          !ENDPOINT_NAME_PATTERN.test(m.sagemakerEndpointName)
        ) {
          errors.push(
            `${at}.sagemakerEndpointName must be a SageMaker endpoint name (${ENDPOINT_NAME_PATTERN.source})`,
          );
        }
        break;
      default:
        errors.push(`${at}.kind must be one of demo, bedrock, sagemaker`);
    }
    out.push(m as unknown as ModelConfig);
  });
  return out;
}

export function isFoundationModelId(id: string): boolean {
  return FOUNDATION_MODEL_ID_PATTERN.test(id) && !INFERENCE_PROFILE_PREFIX.test(id) && !id.startsWith('arn:');
}

function validateMachineCallers(value: unknown, errors: string[]): MachineCallerConfig[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    errors.push('machineCallers must be an array');
    return [];
  }
  const out: MachineCallerConfig[] = [];
  value.forEach((c: unknown, i) => {
    const at = `machineCallers[${i}]`;
    if (!isRecord(c)) {
      errors.push(`${at} must be an object`);
      return;
    }
    if (typeof c.principalArn !== 'string' || !PRINCIPAL_ARN.test(c.principalArn)) {
      errors.push(`${at}.principalArn must be an IAM role or user ARN`);
      return;
    }
    if (
      !Array.isArray(c.routes) ||
      c.routes.some((r) => typeof r !== 'string' || !/^[A-Z]+ \/\S*$/.test(r))
    ) {
      errors.push(
        `${at}.routes must be a list of route keys such as 'POST /machine/models/{modelId}/invoke'`,
      );
      return;
    }
    out.push({ principalArn: c.principalArn, routes: c.routes as string[] });
  });
  return out;
}

function validateLimits(value: unknown, errors: string[]): BackendLimits {
  if (value === undefined) return DEFAULT_LIMITS;
  if (!isRecord(value)) {
    errors.push('limits must be an object');
    return DEFAULT_LIMITS;
  }
  const pick = (key: keyof BackendLimits): number => {
    const v = value[key];
    if (v === undefined) return DEFAULT_LIMITS[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_LIMITS[key]) {
      errors.push(`limits.${key} must be an integer from 1 to ${MAX_LIMITS[key]}`);
      return DEFAULT_LIMITS[key];
    }
    return v;
  };
  return { maxBodyBytes: pick('maxBodyBytes'), maxInputChars: pick('maxInputChars') };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
