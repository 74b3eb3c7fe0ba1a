/**
 * The model backend's contract, shared by the ModelBackend construct (lib/backends), its function
 * (lambda/models), the stage configuration (common/app-config-validate.ts) and the local stack: the
 * model id alphabet, the model kinds and the routes the backend serves. Plain constants only.
 */

/**
 * Model ids appear in paths (`/models/{modelId}/invoke`), role names (`model:{modelId}:invoke`) and IAM
 * policy resources: a safe alphabet of 1 to 64 characters.
 */
export const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** MODEL_ID_PATTERN in words, for messages. */
export const MODEL_ID_RULE = "1-64 letters, digits, '-' or '_', starting with a letter or digit";

export const MODEL_KINDS = ['demo', 'bedrock', 'sagemaker'] as const;
export const DEMO_MODELS = ['sentiment', 'keywords'] as const;
/** Foundation-model ids (`provider.name-version[:n]`); inference-profile ids carry a geography prefix. */
export const FOUNDATION_MODEL_ID_PATTERN = /^[a-z0-9-]+\.[A-Za-z0-9._:-]{1,200}$/;
export const INFERENCE_PROFILE_PREFIX = /^(us|eu|apac|us-gov|ca|jp|au|global)\./;
/** SageMaker endpoint names: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html */
export const ENDPOINT_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** The model list of people and service accounts (keycloak route). */
export const MODELS_PATH = '/models';
/** The model invocation of people and service accounts (keycloak route). */
export const MODEL_INVOKE_PATH = '/models/{modelId}/invoke';
/** The model list of IAM callers (iam route). */
export const MACHINE_MODELS_PATH = '/machine/models';
/** The model invocation of IAM callers (iam route). */
export const MACHINE_INVOKE_PATH = '/machine/models/{modelId}/invoke';
