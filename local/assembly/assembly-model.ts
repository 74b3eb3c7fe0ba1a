/**
 * What `keygate local` reads out of a synthesized cloud assembly: the APIs of one stack, their routes, their
 * authorizer and the Lambda functions behind them, as plain data. Built by read-assembly.ts from the
 * template alone (black box, as CloudFormation would deploy it); served by serve-assembly.ts.
 */
import type { HttpMethod } from '../../common/route-model';
import type { GatewayResponses } from './gateway-responses';
import type { InvokeGrant } from './read-iam-grants';
import type { AssemblyUsage } from './read-usage-plans';
import type { IdentitySourceRef } from '../gateway/route-authorizers';

/** A Lambda function of the template, as far as the local gateway can run it. */
export interface AssemblyFunction {
  /** Logical id in the template. */
  readonly id: string;
  /** `aws:cdk:path` when the template records it, else the logical id. */
  readonly path: string;
  readonly runtime: string;
  /** `file.export`, e.g. `index.handler`. */
  readonly handler: string;
  /** Lambda's default is 3 s. */
  readonly timeoutSeconds: number;
  /** Literal values; unresolved ones (references, joins) are listed in `unresolvedEnvironment`. */
  readonly environment: Readonly<Record<string, string>>;
  readonly unresolvedEnvironment: readonly string[];
  /** The asset folder holding the code, or undefined for inline code (`ZipFile`). */
  readonly codeDir?: string;
  readonly inlineCode?: string;
  /** Why it cannot run here (another runtime, a missing asset); undefined when it can. */
  readonly unsupported?: string;
}

export type AssemblyRouteAuth = 'keycloak' | 'iam' | 'none';

export interface AssemblyRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly auth: AssemblyRouteAuth;
  /** The Lambda function the route's AWS_PROXY integration invokes. */
  readonly functionId?: string;
  /** Authorized routes (`keycloak`): the id of the authorizer of the API's `authorizers` the route names. */
  readonly authorizerId?: string;
  /** REST `ResponseTransferMode: STREAM`. */
  readonly streaming: boolean;
  /** JWT routes: `AuthorizationScopes`, one of which the token's scopes must hold. */
  readonly scopes?: readonly string[];
  /** HTTP API integrations: the proxy event's payload format. @default '2.0' */
  readonly payloadFormat?: '1.0' | '2.0';
  /** Why the local gateway answers this route with 501 (set by the reader or by the function's runtime). */
  readonly unsupported?: string;
  /** REST `ApiKeyRequired`: a usage plan of the API counts the request (read-usage-plans.ts). */
  readonly apiKeyRequired?: boolean;
}

export interface AssemblyAuthorizer {
  readonly id: string;
  readonly functionId: string;
  /**
   * REQUEST (the whole request), TOKEN (REST: one header's value as `authorizationToken`) or JWT (HTTP API:
   * API Gateway verifies the token itself; `functionId` is empty).
   */
  readonly type: 'REQUEST' | 'TOKEN' | 'JWT';
  /** JWT authorizers: the issuer and the audiences a token's `aud` (else `client_id`) must name. */
  readonly jwt?: { readonly issuer: string; readonly audience: readonly string[] };
  /** TOKEN: a token not matching this expression is a 401 without calling the authorizer. */
  readonly validationExpression?: string;
  /** Header names of the identity sources; empty means none (called for every request, never cached). */
  readonly identityHeaders: readonly string[];
  /** Every identity source (headers and query-string parameters), in the configured order. */
  readonly identitySources: readonly IdentitySourceRef[];
  readonly cacheTtlSeconds: number;
  /** HTTP API: `EnableSimpleResponses`. REST APIs always answer with a policy. */
  readonly responseMode: 'iam' | 'simple';
  /**
   * HTTP API Lambda authorizers: `AuthorizerPayloadFormatVersion`; 1.0 is the REST REQUEST event with
   * `version: '1.0'` and an IAM-policy answer (lambda-authorizer-v1.ts). @default '2.0'
   */
  readonly payloadFormat?: '1.0' | '2.0';
}

export interface AssemblyCors {
  readonly allowOrigins: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly maxAgeSeconds?: number;
}

export interface AssemblyApi {
  readonly id: string;
  readonly kind: 'http' | 'rest';
  readonly name: string;
  readonly routes: readonly AssemblyRoute[];
  /** The first authorizer its `keycloak` routes use (`authorizers[0]`). */
  readonly authorizer?: AssemblyAuthorizer;
  /** Every authorizer its routes name, in the order of first use; each route names its own (`authorizerId`). */
  readonly authorizers: readonly AssemblyAuthorizer[];
  readonly cors?: AssemblyCors;
  /** REST APIs: the gateway responses by response type (UNAUTHORIZED, ACCESS_DENIED, DEFAULT_4XX, ...). */
  readonly gatewayResponses?: GatewayResponses;
  /** REST `ApiKeySourceType`: where a usage plan's API key is read. @default 'HEADER' */
  readonly apiKeySource?: 'HEADER' | 'AUTHORIZER';
}

export interface AssemblyStack {
  readonly name: string;
  readonly region: string;
  readonly account?: string;
  readonly apis: readonly AssemblyApi[];
  readonly functions: Readonly<Record<string, AssemblyFunction>>;
  /** `execute-api:Invoke` grants of the stack's roles. */
  readonly grants: readonly InvokeGrant[];
  /** REST usage plans, their API keys and who reads the keys (read-usage-plans.ts). */
  readonly usage?: AssemblyUsage;
}

/** A cloud assembly `keygate local` cannot read: one line, no stack trace. */
export class AssemblyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AssemblyError';
  }
}
