/**
 * A typed client for Keygate's machine routes (AWS_IAM): every request is SigV4-signed with the caller's
 * AWS credentials (the default chain unless given).
 *
 *   const client = new KeygateClient({ baseUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod' });
 *   const models = await client.listModels();
 *   const result = await client.invoke('sentiment', 'What a great day');
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import {
  headersForFetch,
  signRequest,
  type AwsCredentials,
  type AwsCredentialsProvider,
} from './sign-request';
import type { ApiKeyOptions } from './api-key';
import { API_KEY_HEADER, resolveApiKey } from './api-key';

/**
 * With usage tiers for IAM roles, `apiKey` / `apiKeySecretArn` (or KEYGATE_API_KEY /
 * KEYGATE_API_KEY_SECRET_ARN) give the key sent as `X-API-Key` (client/api-key.ts); without, none is sent.
 */
export interface KeygateClientOptions extends ApiKeyOptions {
  /** The API's base URL including the stage, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/prod`. */
  readonly baseUrl: string;
  /** @default - from the URL, else AWS_REGION */
  readonly region?: string;
  /** @default - the default credential chain */
  readonly credentials?: AwsCredentials | AwsCredentialsProvider;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Secrets Manager's endpoint for `apiKeySecretArn` (a VPC endpoint, say). @default - the secret's region's */
  readonly secretsManagerEndpoint?: string;
  /** Path prefix of the IAM routes. @default '/machine' */
  readonly machinePrefix?: string;
}

export interface ModelSummary {
  readonly id: string;
  readonly kind: string;
  readonly description: string;
  readonly invoke: string;
}

export interface InvokeParameters {
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
}

export interface InvokeResult<T = unknown> {
  readonly modelId: string;
  readonly kind: string;
  readonly output: T;
  readonly usage?: { readonly inputTokens?: number; readonly outputTokens?: number };
  readonly requestId: string;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** A non-2xx answer; `code` is the API's error code (`model_forbidden`, `body_too_large`, ...). */
export class KeygateApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'KeygateApiError';
  }
}

export class KeygateClient {
  private readonly base: URL;
  private readonly fetchImpl: typeof fetch;
  private readonly prefix: string;
  /** Resolved once and cached by the provider until the credentials near expiry. */
  private readonly credentials: AwsCredentials | AwsCredentialsProvider;
  /** The API key, resolved on the first request (a secret read once per client); a failure is retried. */
  private apiKey?: Promise<string | undefined>;

  constructor(private readonly options: KeygateClientOptions) {
    this.credentials = options.credentials ?? defaultProvider();
    this.base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.prefix = (options.machinePrefix ?? '/machine').replace(/^\/+|\/+$/g, '');
  }

  /** GET /machine/models: the models this role may invoke. */
  async listModels(): Promise<ModelSummary[]> {
    const body = await this.json<{ models: ModelSummary[] }>('GET', `${this.prefix}/models`);
    return body.models;
  }

  /** POST /machine/models/{modelId}/invoke. */
  async invoke<T = unknown>(
    modelId: string,
    input: string,
    parameters?: InvokeParameters,
  ): Promise<InvokeResult<T>> {
    const path = `${this.prefix}/models/${encodeURIComponent(modelId)}/invoke`;
    return this.json<InvokeResult<T>>(
      'POST',
      path,
      JSON.stringify(parameters ? { input, parameters } : { input }),
    );
  }

  /** Any signed request; the path is relative to the base URL. Never throws on an HTTP status. */
  async request(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<RawResponse> {
    const url = new URL(path.replace(/^\/+/, ''), this.base);
    const key = hasHeader(headers, API_KEY_HEADER) ? undefined : await this.resolveKey();
    const withKey = key === undefined ? headers : { ...headers, [API_KEY_HEADER]: key };
    const withType =
      body !== undefined && !hasHeader(withKey, 'content-type')
        ? { ...withKey, 'content-type': 'application/json' }
        : withKey;
    const signed = await signRequest(
      { method, url, headers: withType, body },
      { region: this.options.region, credentials: this.credentials },
    );
    const res = await this.fetchImpl(signed.url, {
      method: signed.method,
      headers: headersForFetch(signed),
      body,
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  private resolveKey(): Promise<string | undefined> {
    this.apiKey ??= resolveApiKey(this.options, {
      credentials: this.credentials,
      fetch: this.fetchImpl,
      ...(this.options.secretsManagerEndpoint ? { endpoint: this.options.secretsManagerEndpoint } : {}),
    }).catch((error: unknown) => {
      this.apiKey = undefined;
      throw error;
    });
    return this.apiKey;
  }

  private async json<T>(method: string, path: string, body?: string): Promise<T> {
    const res = await this.request(method, path, body);
    let parsed: unknown;
    try {
      parsed = res.text ? JSON.parse(res.text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.status < 200 || res.status >= 300) {
      const e = (parsed ?? {}) as { error?: string; message?: string; Message?: string; requestId?: string };
      // API Gateway's own denials (403 for a missing or wrong signature) carry `message` or `Message`.
      throw new KeygateApiError(
        res.status,
        e.error ?? 'http_error',
        e.message ?? e.Message ?? `HTTP ${res.status}`,
        e.requestId,
      );
    }
    return parsed as T;
  }
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}
