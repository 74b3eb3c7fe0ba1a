/**
 * The events of the authorizer and integration kinds the Keygate constructs do not deploy but a user's
 * template may: REST TOKEN authorizers and HTTP API Lambda proxy integrations with payload format 1.0.
 */
import type { ApiContext, IncomingRequest, IntegrationAuthorizer, MatchedRoute } from './api-events';
import { methodArn, proxyEventRest } from './api-events';

/**
 * REST TOKEN authorizer event: the identity source header's value and the method ARN, nothing else.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html
 */
export function authorizerEventToken(
  api: ApiContext,
  req: IncomingRequest,
  token: string,
): Record<string, unknown> {
  return { type: 'TOKEN', authorizationToken: token, methodArn: methodArn(api, req.method, req.rawPath) };
}

/**
 * HTTP API proxy integration event, payload format 1.0: the REST proxy event's shape with `version: '1.0'`
 * (multi-value headers and query parameters, `resource`, `path`, `httpMethod`), on the `$default` stage; a
 * Lambda authorizer's context under `requestContext.authorizer.lambda`, as in payload 2.0.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
export function proxyEventV1Http(
  api: ApiContext,
  req: IncomingRequest,
  route: MatchedRoute,
  rawHeaders: IncomingRequest['headers'],
  authorizer: IntegrationAuthorizer,
): Record<string, unknown> {
  const rest = proxyEventRest(
    api,
    req,
    route,
    rawHeaders,
    authorizer.kind === 'lambda' ? { kind: 'none' } : authorizer,
  );
  const context = rest.requestContext as Record<string, unknown>;
  return {
    version: '1.0',
    ...rest,
    requestContext: {
      ...context,
      path: req.rawPath,
      ...(authorizer.kind === 'lambda' ? { authorizer: { lambda: { ...authorizer.context } } } : {}),
    },
  };
}
