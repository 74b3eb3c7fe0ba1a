/**
 * Shapes of the model backend's pure core. No AWS event types here: events are converted at the edge
 * (api-event.ts, caller-identity.ts) and responses are built by http-response.ts.
 */
import type { TokenKind } from '../../common/identity-context';
import type { Principal } from '../../common/route-model';

/** A caller whose bearer token the Keygate authorizer verified (a person or a service account). */
export interface TokenCaller extends Principal {
  readonly type: 'token';
  readonly username: string;
  readonly clientId: string;
  readonly issuer: string;
  /** Empty when the authorizer did not say (treated like a person: no service-account assumptions). */
  readonly tokenKind: TokenKind | '';
}

/** A caller API Gateway authenticated with SigV4 (AWS_IAM routes). */
export interface IamCaller {
  readonly type: 'iam';
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>` or `arn:aws:iam::<account>:user/<name>`. */
  readonly principalArn: string;
  readonly accountId: string;
  /** The caller id (`AROA...:session`), for the audit line. */
  readonly callerId: string;
}

export type Caller = TokenCaller | IamCaller;

export type IdentityResult =
  { readonly ok: true; readonly caller: Caller } | { readonly ok: false; readonly reason: string };

/** The operations this function serves. */
export type Operation = 'listModels' | 'invokeModel' | 'streamModel' | 'me';

/** An API request reduced to what the backend needs. */
export interface ApiRequest {
  readonly operation: Operation;
  /** How API Gateway authorized the route the request arrived on. */
  readonly routeAuth: 'keycloak' | 'iam';
  /** The route template, e.g. `POST /models/{modelId}/invoke` (audit and errors). */
  readonly routeKey: string;
  readonly modelId?: string;
  /** Raw body as API Gateway delivered it. */
  readonly body: string | null;
  readonly isBase64Encoded: boolean;
  readonly requestId: string;
}

/** An HTTP answer of the core; the glue turns it into the REST or HTTP API response shape. */
export interface ApiResponse {
  readonly statusCode: number;
  readonly body: unknown;
}

/** What a model returns. `output` is the model-specific JSON result. */
export interface ModelOutput {
  readonly output: unknown;
  /** Token usage when the model reports it. */
  readonly usage?: { readonly inputTokens?: number; readonly outputTokens?: number };
}

/** Validated invocation parameters (all optional; each model reads the ones it understands). */
export interface InvokeParameters {
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
}

export interface InvokeRequest {
  readonly input: string;
  readonly parameters: InvokeParameters;
}
