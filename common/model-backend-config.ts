/**
 * The model backend's configuration: the JSON the ModelBackend construct writes into the function's
 * environment (`MODELS_CONFIG_ENV`), declared once. From this schema come its TypeScript type, the
 * construct's check at `cdk synth` and the function's check at cold start (an invalid configuration makes
 * every request fail closed with 500 `config_invalid` instead of running with guessed values).
 */
import * as v from 'valibot';
import { DEFAULT_ROUTES } from './app-config';
import {
  addNamedIssues,
  checkConfig,
  fieldOf,
  isJsonObject,
  itemOf,
  strictFields,
  type ConfigCheck,
  type ConfigCheckOptions,
} from './config-issues';
import {
  DEMO_MODELS,
  ENDPOINT_NAME_PATTERN,
  FOUNDATION_MODEL_ID_PATTERN,
  INFERENCE_PROFILE_PREFIX,
  MODEL_ID_PATTERN,
  MODEL_ID_RULE,
  MODEL_INVOKE_PATH,
  MODEL_KINDS,
} from './model-contract';
import { parsePathTemplate, validateRequirement, type Requirement } from './route-model';
import type { FieldIssue } from './field-issue';

export { MODELS_CONFIG_ENV } from './function-env';

import { PRINCIPAL_ARN_PATTERN, ROUTE_KEY_PATTERN } from './config-patterns';
export { PRINCIPAL_ARN_PATTERN, ROUTE_KEY_PATTERN };

export interface BackendLimits {
  /** Largest accepted request body, in bytes after base64 decoding. */
  readonly maxBodyBytes: number;
  /** Longest accepted `input`, in characters (UTF-16 code units). */
  readonly maxInputChars: number;
}

export const DEFAULT_LIMITS: BackendLimits = { maxBodyBytes: 64 * 1024, maxInputChars: 20_000 };
/** Hard ceilings, far below API Gateway's 10 MB payload limit and Lambda's 6 MB synchronous limit. */
export const MAX_LIMITS: BackendLimits = { maxBodyBytes: 1024 * 1024, maxInputChars: 500_000 };

/** The invoke route's requirement in the default route table (a configuration that names none). */
export const DEFAULT_INVOKE_REQUIREMENT: Requirement | undefined = DEFAULT_ROUTES.find(
  (r) => r.method === 'POST' && r.path === MODEL_INVOKE_PATH,
)?.requirement;

/** A Bedrock foundation-model id; not an inference profile (geography prefix) nor an ARN. */
export function isFoundationModelId(id: string): boolean {
  return FOUNDATION_MODEL_ID_PATTERN.test(id) && !INFERENCE_PROFILE_PREFIX.test(id) && !id.startsWith('arn:');
}

export { isJsonObject as isRecord } from './config-issues';

const matching = (pattern: RegExp, message: string) => v.pipe(v.string(message), v.regex(pattern, message));

const MESSAGES = {
  id: `must be ${MODEL_ID_RULE} (it appears in paths and role names)`,
  demo: `must be one of ${DEMO_MODELS.join(', ')}`,
  bedrockModelId: 'must be a foundation-model id such as anthropic.claude-3-haiku-20240307-v1:0',
  sagemakerEndpointName: `must be a SageMaker endpoint name (${ENDPOINT_NAME_PATTERN.source})`,
} as const;

/** The field each kind of model needs. */
const KIND_FIELD = { demo: 'demo', bedrock: 'bedrockModelId', sagemaker: 'sagemakerEndpointName' } as const;

const ModelEntrySchema = v.pipe(
  strictFields({
    id: matching(MODEL_ID_PATTERN, MESSAGES.id),
    kind: v.picklist(MODEL_KINDS, `must be one of ${MODEL_KINDS.join(', ')}`),
    description: v.optional(
      v.pipe(
        v.string('must be a string of at most 256 characters'),
        v.maxLength(256, 'must be a string of at most 256 characters'),
      ),
    ),
    demo: v.optional(v.picklist(DEMO_MODELS, MESSAGES.demo)),
    bedrockModelId: v.optional(
      v.pipe(v.string(MESSAGES.bedrockModelId), v.check(isFoundationModelId, MESSAGES.bedrockModelId)),
    ),
    sagemakerEndpointName: v.optional(matching(ENDPOINT_NAME_PATTERN, MESSAGES.sagemakerEndpointName)),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const key = KIND_FIELD[dataset.value.kind];
    if (dataset.value[key] === undefined) {
      addIssue({ message: MESSAGES[key], path: [fieldOf(dataset.value, key)] });
    }
  }),
);

const ModelListSchema = v.pipe(
  v.array(ModelEntrySchema, 'must list at least one model'),
  v.minLength(1, 'must list at least one model'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const seen = new Set<string>();
    dataset.value.forEach((m, i) => {
      if (seen.has(m.id)) {
        addIssue({
          message: `'${m.id}' is used by another model`,
          path: [itemOf(dataset.value, i), fieldOf(m, 'id')],
        });
      }
      seen.add(m.id);
    });
  }),
);

const INVOKE_TEMPLATE = parsePathTemplate(MODEL_INVOKE_PATH);

/** The invoke route's requirement, checked as the authorizer checks a route's (the same function). */
const RequirementSchema = v.pipe(
  v.custom<Requirement>(isJsonObject, 'must be an object'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (dataset.typed) {
      addNamedIssues(addIssue, validateRequirement(dataset.value, 'invokeRequirement', INVOKE_TEMPLATE));
    }
  }),
);

const MachineCallerSchema = strictFields({
  principalArn: matching(PRINCIPAL_ARN_PATTERN, 'must be an IAM role or user ARN'),
  routes: v.array(
    matching(ROUTE_KEY_PATTERN, "must be a route key such as 'POST /machine/models/{modelId}/invoke'"),
    "must be a list of route keys such as 'POST /machine/models/{modelId}/invoke'",
  ),
});

const limit = (key: keyof BackendLimits) => {
  const message = `must be an integer from 1 to ${MAX_LIMITS[key]}`;
  return v.optional(
    v.pipe(
      v.number(message),
      v.integer(message),
      v.minValue(1, message),
      v.maxValue(MAX_LIMITS[key], message),
    ),
    DEFAULT_LIMITS[key],
  );
};

export const BackendConfigSchema = strictFields({
  /** The models the backend serves. */
  models: ModelListSchema,
  /** The requirement of `POST /models/{modelId}/invoke`; GET /models lists with the same one. */
  invokeRequirement: v.optional(RequirementSchema, DEFAULT_INVOKE_REQUIREMENT),
  /** IAM principals and the iam route keys (`METHOD /path`) each was granted on the API. */
  machineCallers: v.optional(v.array(MachineCallerSchema, 'must be an array'), []),
  limits: v.optional(
    strictFields({ maxBodyBytes: limit('maxBodyBytes'), maxInputChars: limit('maxInputChars') }),
    {},
  ),
  /** Put the request input and model output into the audit line. Off unless asked for. */
  logContent: v.optional(v.boolean('must be a boolean'), false),
});

export type BackendConfig = Readonly<v.InferOutput<typeof BackendConfigSchema>>;
export type MachineCallerConfig = BackendConfig['machineCallers'][number];
export type BackendModelConfig = BackendConfig['models'][number];

/**
 * The checks of a model list as the backend runs them, for the stage configuration's `models` (`at` is
 * its path): the stage and the function accept the same models. Each problem names its field
 * (`keygate.stages.dev.models[2].sagemakerEndpointName`); none when valid.
 */
export function validateModelList(input: unknown, at: string): FieldIssue[] {
  const checked = checkConfig(ModelListSchema, input, at, {}, at);
  return checked.ok ? [] : checked.errors.map((message, i) => ({ path: checked.fields[i], message }));
}

/** Checks untrusted input (the function at cold start, the construct at synth); every message names the field. */
export function validateBackendConfig(
  input: unknown,
  options?: ConfigCheckOptions,
): ConfigCheck<BackendConfig> {
  return checkConfig(BackendConfigSchema, input, 'config', options);
}
