/**
 * The AWS quotas Keygate's configurations come close to, each with the page that documents it, and the
 * pure checks that keep a route table inside them. The app's configuration validator, the authorizer's
 * configuration validator (so the construct refuses at synth) and the Secured API constructs use them.
 *
 * Quotas that can be raised on request are still enforced at their default: a template that needs a
 * raised quota fails at deploy time in an account that does not have it, far from its cause.
 */
import type { RouteSpec } from './route-model';
import { MAX_BOUND_COMBINATIONS, boundParams, methodsOf, parsePathTemplate } from './route-model';
import { NON_CANONICAL_PATH_RESOURCES } from './canonical-path';

/**
 * HTTP API: routes per API, 300 (adjustable).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
 */
export const HTTP_API_ROUTES_PER_API = 300;

/**
 * REST API: resources per API, 300 (adjustable); every path segment is a resource, the root included.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html
 */
export const REST_API_RESOURCES_PER_API = 300;

/**
 * REST API: length, in characters, of the API's resource policy, 8192 (adjustable). Each cross-account
 * grant of a SecuredRestApi is one statement of it (about 170 characters).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html
 */
export const REST_API_RESOURCE_POLICY_CHARS = 8192;

/**
 * CloudFormation: resources per stack (template), 500.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
 */
export const CLOUDFORMATION_RESOURCES_PER_STACK = 500;

/**
 * Lambda: all environment variables of a function together (keys and values), 4 KB.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
 */
export const LAMBDA_ENVIRONMENT_BYTES = 4096;

/**
 * Lambda: a function's resource-based policy, 20 KB. Each API Gateway invoke permission is one statement
 * of it, so the Secured APIs grant one per API and backend, not one per route.
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const LAMBDA_RESOURCE_POLICY_BYTES = 20 * 1024;

/**
 * Lambda: response payload of a synchronous invocation, 6 MB; an authorizer's answer is one. API Gateway
 * documents no size quota for a REST or HTTP API Lambda authorizer's answer (the 8 KB "Lambda authorizer
 * result size" is a WebSocket API quota: apigateway-execution-service-websocket-limits-table.html), so
 * this is the bound that holds.
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const LAMBDA_RESPONSE_PAYLOAD_BYTES = 6 * 1024 * 1024;

/**
 * Longest deploy-time value (a CloudFormation reference) Keygate writes into an environment variable: a
 * Cognito user pool id is at most 55 characters, an app client id at most 128
 * (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_UserPoolClientType.html),
 * and the ARN of a secret CDK names (`arn:<partition>:secretsmanager:<region>:<account>:secret:<logical
 * id>-<12 random>-<6 random>`) about 110.
 */
export const DEPLOY_TIME_ID_MAX_CHARS = 128;

/** Longest resource ARN the authorizer writes into a policy (longer ones fail closed). */
export const POLICY_RESOURCE_MAX_CHARS = 512;

/**
 * Room kept in the authorizer's answer for everything but the policy's resources: principalId, the
 * statements' fixed members and the context (ten bounded strings, common/identity-context.ts).
 */
const ANSWER_ENVELOPE_BYTES = 64 * 1024;

/**
 * The most bytes the resources of an authorizer's IAM policy can take for this route table, whatever
 * the token: each keycloak route contributes one resource per method it names (an ANY route names each
 * concrete method: methodsOf), times the bound values the caller holds when its requirement binds a path
 * parameter (at most MAX_BOUND_COMBINATIONS); each resource is
 * at most POLICY_RESOURCE_MAX_CHARS characters plus its quotes and comma.
 */
export function policyResourceBytesBound(routes: readonly RouteSpec[]): number {
  let resources = 0;
  for (const r of routes) {
    if (r.auth !== 'keycloak') continue;
    const combinations = boundParams(r.requirement).length > 0 ? MAX_BOUND_COMBINATIONS : 1;
    resources += methodsOf(r).length * combinations;
  }
  // The Deny of paths that are not canonical, in every policy that allows anything.
  resources += NON_CANONICAL_PATH_RESOURCES.length;
  return resources * (POLICY_RESOURCE_MAX_CHARS + 3);
}

/** The REST API resources a set of paths creates: every distinct prefix, plus the root. */
export function restResourceCount(paths: readonly string[]): number {
  const prefixes = new Set<string>();
  for (const p of paths) {
    const segs = parsePathTemplate(p);
    for (let i = 1; i <= segs.length; i++) {
      prefixes.add(
        segs
          .slice(0, i)
          .map((s) => (s.kind === 'literal' ? s.value : s.kind === 'param' ? `{${s.name}}` : `{${s.name}+}`))
          .join('/'),
      );
    }
  }
  return prefixes.size + 1;
}

/**
 * The authorizer's answer must fit Lambda's response payload: refuses a route table whose worst-case
 * policy would not. `field` names the routes in the message.
 */
export function policySizeErrors(routes: readonly RouteSpec[], field: string): string[] {
  const bound = policyResourceBytesBound(routes);
  if (bound + ANSWER_ENVELOPE_BYTES <= LAMBDA_RESPONSE_PAYLOAD_BYTES) return [];
  const binding = routes.filter((r) => r.auth === 'keycloak' && boundParams(r.requirement).length > 0);
  return [
    `${field}: the authorizer's IAM policy for these routes can reach ${bound} bytes (${binding.length} routes ` +
      `bind a path parameter, each up to ${MAX_BOUND_COMBINATIONS} resources per method, of up to ${POLICY_RESOURCE_MAX_CHARS} ` +
      `characters), over Lambda's ${LAMBDA_RESPONSE_PAYLOAD_BYTES}-byte response limit; bind path parameters on fewer routes`,
  ];
}

/**
 * API Gateway: the account's throttle per Region across all its APIs, 10,000 requests per second with a
 * token bucket of 5,000 (adjustable; 2,500 and 1,250 in some newer Regions). A usage plan's or a stage's
 * throttle above it can never be reached.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
 */
export const ACCOUNT_THROTTLE_RATE_PER_SECOND = 10_000;
export const ACCOUNT_THROTTLE_BURST = 5_000;
