/**
 * The API key an IAM caller sends beside its SigV4 signature when usage tiers assign IAM roles: the REST
 * API serving the IAM routes then reads the key from the `X-API-Key` header and throttles and counts the
 * request by the usage plan holding it; a missing or unknown key is a 403 `Forbidden`
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html,
 * common/usage-tiers-iam.ts). The key authorizes nothing; the signature does.
 *
 * The key comes from, in this order: an explicit value, `KEYGATE_API_KEY`, the secret named by an
 * explicit ARN, `KEYGATE_API_KEY_SECRET_ARN`. A secret is read with Secrets Manager's GetSecretValue
 * (the secret string is the key itself), signed with @smithy/signature-v4 like every other request here
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html). The value
 * is never printed, logged or put in an error message.
 */
import { API_KEY_ENV, API_KEY_SECRET_ENV } from '../common/usage-tiers-iam';
import type { AwsCredentials, AwsCredentialsProvider } from './sign-request';
import { headersForFetch, signRequest } from './sign-request';

export { API_KEY_HEADER } from '../common/usage-tiers-iam';

export interface ApiKeyOptions {
  /** The key itself. @default - KEYGATE_API_KEY, else the secret */
  readonly apiKey?: string;
  /** The ARN of the secret holding the key (the stack output `MachinePrincipal<i>ApiKeySecretArn`). @default - KEYGATE_API_KEY_SECRET_ARN */
  readonly apiKeySecretArn?: string;
}

export interface SecretReadOptions {
  /** @default - the default credential chain */
  readonly credentials?: AwsCredentials | AwsCredentialsProvider;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Secrets Manager's endpoint. @default https://secretsmanager.<region of the ARN>.amazonaws.com */
  readonly endpoint?: string;
}

/** A secret that could not be read: the service's error name (`ResourceNotFoundException`, ...), never a value. */
export class ApiKeySecretError extends Error {
  constructor(
    readonly secretArn: string,
    readonly code: string,
    readonly status?: number,
  ) {
    super(`cannot read the API key secret ${secretArn}: ${code}${status ? ` (HTTP ${status})` : ''}`);
    this.name = 'ApiKeySecretError';
  }
}

const SECRET_ARN = /^arn:(aws[a-z-]*):secretsmanager:([a-z0-9-]+):\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const KEY_VALUE = /^[A-Za-z0-9]{20,128}$/;

/** Reads the key from a Secrets Manager secret (GetSecretValue, AWS JSON 1.1). */
export async function readApiKeySecret(secretArn: string, options: SecretReadOptions = {}): Promise<string> {
  const arn = SECRET_ARN.exec(secretArn);
  if (!arn) throw new ApiKeySecretError(secretArn, 'not a Secrets Manager secret ARN');
  const region = arn[2];
  const endpoint =
    options.endpoint ?? `https://secretsmanager.${region}.amazonaws.com${arn[1] === 'aws-cn' ? '.cn' : ''}`;
  const body = JSON.stringify({ SecretId: secretArn });
  const signed = await signRequest(
    {
      method: 'POST',
      url: `${endpoint.replace(/\/+$/, '')}/`,
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.GetSecretValue',
      },
      body,
    },
    { region, service: 'secretsmanager', credentials: options.credentials },
  );
  const res = await (options.fetch ?? globalThis.fetch)(signed.url, {
    method: 'POST',
    headers: headersForFetch(signed),
    body,
  });
  const parsed = (await res.json().catch(() => ({}))) as { SecretString?: unknown; __type?: unknown };
  if (!res.ok) {
    // `__type` may be namespaced (`com.amazonaws...#ResourceNotFoundException`): the name after `#`.
    const type = typeof parsed.__type === 'string' ? parsed.__type.split('#').pop()! : 'http_error';
    throw new ApiKeySecretError(secretArn, type, res.status);
  }
  const value = parsed.SecretString;
  if (typeof value !== 'string' || !KEY_VALUE.test(value))
    throw new ApiKeySecretError(
      secretArn,
      'the secret string is not an API key (20 to 128 letters and digits)',
    );
  return value;
}

/** The key to send, or undefined when none is configured (routes that need none). */
export async function resolveApiKey(
  options: ApiKeyOptions,
  read: SecretReadOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const literal = options.apiKey ?? nonEmpty(env[API_KEY_ENV]);
  if (literal !== undefined) {
    if (!KEY_VALUE.test(literal))
      throw new Error(
        `the API key (${options.apiKey ? 'apiKey' : API_KEY_ENV}) must be 20 to 128 letters and digits`,
      );
    return literal;
  }
  const arn = options.apiKeySecretArn ?? nonEmpty(env[API_KEY_SECRET_ENV]);
  return arn === undefined ? undefined : readApiKeySecret(arn, read);
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
