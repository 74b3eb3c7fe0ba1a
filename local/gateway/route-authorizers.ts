/**
 * The Lambda authorizers of one API as the gateway calls them. API Gateway lets each route name its own
 * authorizer (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html:
 * "You can configure distinct authorizers for each route of an API"); each keeps its own identity sources,
 * event shape, response form and result cache (keyed on its own identity-source values), so a token
 * cached by one authorizer is never an answer of another. Routes name theirs through `routeAuthorizers`;
 * the others use the gateway's own settings.
 */
import type { ResponseMode } from '../../common/authorizer-config';
import type { ApiContext, ApiType, IncomingRequest, MatchedRoute } from './api-events';
import { authorizerEventRest, authorizerEventV2 } from './api-events';
import { authorizerEventToken } from './api-events-v1';
import type { LambdaFunction } from './local-gateway';
import { AuthorizerResultCache } from './result-cache';

/** A request value an authorizer's cache is keyed on: a header or a query-string parameter. */
export interface IdentitySourceRef {
  readonly in: 'header' | 'query';
  readonly name: string;
}

/** One Lambda authorizer: its function and how API Gateway calls it and reads its answer. */
export interface GatewayAuthorizer {
  readonly authorizer: LambdaFunction;
  /** HTTP API payload 2.0 answer form. @default 'iam' */
  readonly responseMode?: ResponseMode;
  /** Result cache TTL; 0 turns caching off. @default 300 */
  readonly cacheTtlSeconds?: number;
  /** The identity source header. @default 'Authorization' */
  readonly tokenHeader?: string;
  /**
   * Every identity source, in the configured order, in place of `tokenHeader`: each must be present and
   * non-empty, and together they key the cache. @default - `tokenHeader` alone
   */
  readonly identitySources?: readonly IdentitySourceRef[];
  /** REST TOKEN authorizers get the header's value alone. @default 'REQUEST' */
  readonly authorizerType?: 'REQUEST' | 'TOKEN';
  /** TOKEN authorizers' `IdentityValidationExpression`. */
  readonly tokenValidation?: RegExp;
  /** `none`: no identity source, called for every request, never cached. @default 'header' */
  readonly identitySource?: 'header' | 'none';
  /** HTTP API Lambda authorizers: the event's payload format (1.0 answers with a policy). @default '2.0' */
  readonly payloadFormat?: '1.0' | '2.0';
}

/** An authorizer with its defaults applied once, and its own result cache. */
export interface AuthorizerState {
  readonly options: GatewayAuthorizer;
  readonly responseMode: ResponseMode;
  /** The identity sources, header names lower-cased. */
  readonly sources: readonly IdentitySourceRef[];
  readonly noIdentitySource: boolean;
  readonly cache: AuthorizerResultCache<unknown>;
}

export function authorizerState(
  options: GatewayAuthorizer,
  apiType: ApiType,
  now: () => number,
): AuthorizerState {
  const noIdentitySource = options.identitySource === 'none' || options.identitySources?.length === 0;
  return {
    options,
    // REST authorizers and HTTP API payload 1.0 authorizers answer with an IAM policy only.
    responseMode:
      apiType === 'http' && options.payloadFormat !== '1.0' ? (options.responseMode ?? 'iam') : 'iam',
    sources: (
      options.identitySources ?? [{ in: 'header', name: options.tokenHeader ?? 'Authorization' }]
    ).map((s) => (s.in === 'header' ? { in: 'header', name: s.name.toLowerCase() } : s)),
    noIdentitySource,
    // Without identity sources API Gateway cannot key a cache: the authorizer runs for every request.
    cache: new AuthorizerResultCache<unknown>(noIdentitySource ? 0 : (options.cacheTtlSeconds ?? 300), now),
  };
}

/**
 * The request's value of each identity source: a header's values joined with commas (as API Gateway joins a
 * repeated header), a query parameter's likewise; '' when absent.
 */
export function identityValues(a: AuthorizerState, req: IncomingRequest): string[] {
  const query = a.sources.some((s) => s.in === 'query') ? new URLSearchParams(req.rawQuery) : undefined;
  return a.sources.map((s) =>
    s.in === 'header'
      ? req.headers
          .filter(([n]) => n.toLowerCase() === s.name)
          .map(([, v]) => v)
          .join(',')
      : query!.getAll(s.name).join(','),
  );
}

/** The event of the authorizer's kind. */
export function authorizerEvent(
  a: AuthorizerState,
  api: ApiContext,
  req: IncomingRequest,
  route: MatchedRoute,
  token: string,
  identitySource: readonly string[],
): Record<string, unknown> {
  if (a.options.authorizerType === 'TOKEN') return authorizerEventToken(api, req, token);
  if (api.type === 'rest') return authorizerEventRest(api, req, route);
  if (a.options.payloadFormat === '1.0') return authorizerEventV1Http(api, req, route, identitySource);
  return authorizerEventV2(api, req, route, identitySource);
}

/**
 * HTTP API Lambda authorizer event, payload format 1.0: the REST REQUEST authorizer's event (`methodArn`,
 * `resource`, `path`, `httpMethod`, single- and multi-value headers and query parameters) with
 * `version: '1.0'`, and the identity-source values comma-joined as `identitySource` and
 * `authorizationToken`. Its answer is an IAM policy (principalId, policyDocument, context), evaluated
 * against the method ARN as a REST authorizer's is.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html#http-api-lambda-authorizer.payload-format
 */
export function authorizerEventV1Http(
  api: ApiContext,
  req: IncomingRequest,
  route: MatchedRoute,
  identitySource: readonly string[],
): Record<string, unknown> {
  const joined = identitySource.join(',');
  return {
    version: '1.0',
    ...authorizerEventRest(api, req, route),
    identitySource: joined,
    authorizationToken: joined,
  };
}
