/**
 * Turns a decision into what API Gateway expects back from a Lambda REQUEST authorizer.
 *
 * 401 vs 403. API Gateway answers 401 when the authorizer fails with the exact error message
 * `Unauthorized`, and 403 when the returned policy does not allow the method ARN (or `isAuthorized` is
 * false in an HTTP API simple response); any other error or a malformed response is a 500.
 * - REST API: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html
 *   (the example authorizer's `callback("Unauthorized") // Return a 401 Unauthorized response`) and
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
 * - HTTP API, payload 1.0 (REST-compatible IAM policy) and 2.0 (IAM policy or simple response):
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
 * So every "no valid identity" outcome throws `Error('Unauthorized')` (also never cached as a policy),
 * and "valid identity, no permission" returns a policy or simple response that does not allow the route.
 *
 * Cache safety. API Gateway caches the response under the identity-source values and applies it to every
 * route of the API. With the result cache on, an IAM response therefore never depends on the route of the
 * request that produced it: Allow lists the routes the principal may call, Deny the protected routes an
 * allow would also match (common/route-model.ts grantsFor, over a table its checks accept), as resources
 * on this API and stage. With the cache off (`resultCacheTtlSeconds: 0`) nothing is replayed, and the
 * answer is an Allow or Deny of exactly the request's ARN. A simple response is route-specific, so simple
 * mode requires `$context.routeKey` among the identity sources (the construct adds it) and no route whose
 * requirement binds a path parameter while the cache is on (validateAuthorizerConfig).
 */
import { POLICY_RESOURCE_MAX_CHARS } from '../../common/aws-limits';
import type { Principal, RouteGrants } from '../../common/route-model';
import { CONTEXT_KEYS, contextScalar, joinList } from '../../common/identity-context';
import { AuthorizerError } from './errors';
import type { VerifiedPrincipal } from './types';
import type { AuthRequest } from './parse-event';
import type { RouteDecision } from './authorize';

/** The one error message API Gateway turns into a 401 (any other message is a 500). */
export const UNAUTHORIZED_MESSAGE = 'Unauthorized';

export function unauthorizedError(): Error {
  return new Error(UNAUTHORIZED_MESSAGE);
}

export type AuthorizerContext = Readonly<Record<string, string>>;

export interface PolicyStatement {
  readonly Action: 'execute-api:Invoke';
  readonly Effect: 'Allow' | 'Deny';
  readonly Resource: readonly string[];
}

export type PolicyDocument = IamPolicyResponse['policyDocument'];

export interface IamPolicyResponse {
  readonly principalId: string;
  readonly policyDocument: { readonly Version: '2012-10-17'; readonly Statement: readonly PolicyStatement[] };
  readonly context: AuthorizerContext;
  /** The API key of the caller's usage tier (REST APIs with usage tiers, lambda/authorizer/usage-keys.ts). */
  readonly usageIdentifierKey?: string;
}

export interface SimpleResponse {
  readonly isAuthorized: boolean;
  readonly context: AuthorizerContext;
}

export type AuthorizerResponse = IamPolicyResponse | SimpleResponse;

/**
 * Characters a resource may hold: the ARN prefix, route literals, safe bound values, `*` from templates,
 * and `%` and `?` of the globs that deny refused percent-escapes (common/canonical-path.ts).
 */
const RESOURCE = /^arn:[A-Za-z0-9:_$./*@~+=,%?-]+$/;

/**
 * Authorizer context: strings only, each bounded (API Gateway turns arrays and objects into a 500), never
 * empty ("none" is EMPTY_CONTEXT_VALUE, `-`, so an HTTP API header mapping always overwrites).
 */
export function buildContext(
  p: VerifiedPrincipal,
  lists: EntitlementLists = entitlementLists(p),
): AuthorizerContext {
  // Written with literal keys (a fixed object shape, unlike computed keys); the type below holds them to
  // exactly CONTEXT_KEYS' values.
  const context: { readonly [K in (typeof CONTEXT_KEYS)[keyof typeof CONTEXT_KEYS]]: string } = {
    sub: contextScalar(p.sub),
    username: contextScalar(p.username),
    clientId: contextScalar(p.clientId),
    issuer: contextScalar(p.issuer),
    tokenKind: contextScalar(p.tokenKind),
    roles: lists.roles,
    realmRoles: lists.realmRoles,
    clientRoles: lists.clientRoles,
    scopes: lists.scopes,
    groups: lists.groups,
  };
  return context;
}

/** The context's entitlement lists, joined: they depend on the entitlements alone. */
export interface EntitlementLists {
  readonly roles: string;
  readonly realmRoles: string;
  readonly clientRoles: string;
  readonly scopes: string;
  readonly groups: string;
}

export function entitlementLists(p: Principal): EntitlementLists {
  return {
    roles: joinList([...p.realmRoles, ...p.clientRoles]),
    realmRoles: joinList(p.realmRoles),
    clientRoles: joinList(p.clientRoles),
    scopes: joinList(p.scopes),
    groups: joinList(p.groups),
  };
}

/**
 * The IAM policy for a principal on this API and stage. Throws when a resource would be unsafe to write
 * (the caller turns that into a fail-closed internal error).
 */
export function buildPolicy(
  arnPrefix: string,
  grants: RouteGrants,
  extraDeny?: string,
): IamPolicyResponse['policyDocument'] {
  const allow = grants.allow.map((p) => resource(arnPrefix, p));
  const deny = grants.deny.map((p) => resource(arnPrefix, p));
  if (extraDeny !== undefined) deny.push(extraDeny);
  const Statement: PolicyStatement[] = [];
  if (allow.length > 0) Statement.push({ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: allow });
  if (deny.length > 0) Statement.push({ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: deny });
  return { Version: '2012-10-17', Statement };
}

function resource(arnPrefix: string, pattern: string): string {
  const r = arnPrefix + pattern;
  if (r.length > POLICY_RESOURCE_MAX_CHARS || !RESOURCE.test(r))
    throw new AuthorizerError('policy resource is not writable');
  return r;
}

export interface ResponseInput {
  readonly request: AuthRequest;
  readonly principal: VerifiedPrincipal;
  readonly decision: RouteDecision;
  readonly grants: RouteGrants;
  /** HTTP API payload 2.0 response form; REST and HTTP 1.0 always get an IAM policy. */
  readonly responseMode: 'iam' | 'simple';
  /** The result cache is off: answer for the request's ARN alone. @default false */
  readonly exact?: boolean;
  /** The policy of `grants` on the request's ARN prefix, when already written. @default - written here */
  readonly policy?: PolicyDocument;
  /** The principal's context (buildContext), when already built. @default - built here */
  readonly context?: AuthorizerContext;
  /** The caller's usage-tier key, answered as `usageIdentifierKey`. @default - none */
  readonly usageKey?: string;
}

/** A response for a verified principal (allow or 403). Unverified callers get {@link unauthorizedError}. */
export function buildResponse(input: ResponseInput): AuthorizerResponse {
  const { request, principal, decision } = input;
  if (typeof principal.sub !== 'string' || principal.sub.length === 0)
    throw new AuthorizerError('principal has no sub');
  const context = input.context ?? buildContext(principal);
  if (input.responseMode === 'simple' && request.kind === 'http-2.0') {
    return { isAuthorized: decision.allowed, context };
  }
  const usage = input.usageKey !== undefined ? { usageIdentifierKey: input.usageKey } : undefined;
  if (input.exact === true) {
    // Never replayed: the decision for this ARN is the whole answer. The ARN holds no wildcard
    // (parse-event refuses `*` and `?`).
    const Statement: PolicyStatement[] = [
      {
        Action: 'execute-api:Invoke',
        Effect: decision.allowed ? 'Allow' : 'Deny',
        Resource: [request.resourceArn],
      },
    ];
    return {
      principalId: context[CONTEXT_KEYS.sub],
      policyDocument: { Version: '2012-10-17', Statement },
      context,
      ...usage,
    };
  }
  // A request on no route of the table: the grants cannot speak for it, so deny its exact ARN. The
  // ARN holds no wildcard (parse-event refuses `*` and `?`), so the cached deny covers nothing else.
  const extraDeny = decision.reason === 'route_unknown' ? request.resourceArn : undefined;
  const policyDocument =
    extraDeny === undefined && input.policy !== undefined
      ? input.policy
      : buildPolicy(request.arnPrefix, input.grants, extraDeny);
  if (policyDocument.Statement.length === 0) {
    return {
      principalId: context[CONTEXT_KEYS.sub],
      policyDocument: buildPolicy(request.arnPrefix, { allow: [], deny: [] }, request.resourceArn),
      context,
      ...usage,
    };
  }
  return { principalId: context[CONTEXT_KEYS.sub], policyDocument, context, ...usage };
}
