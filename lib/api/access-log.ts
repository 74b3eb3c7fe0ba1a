/**
 * JSON access-log lines. Tokens and request bodies are never logged: only ids, the route, the status,
 * the caller's subject or IAM identity and the authorizer's error.
 * HTTP API variables: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
 * REST API variables: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
 */
export function httpAccessLogFormat(): string {
  return JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    routeKey: '$context.routeKey',
    path: '$context.path',
    status: '$context.status',
    latencyMs: '$context.responseLatency',
    sub: '$context.authorizer.sub',
    iamUser: '$context.identity.userArn',
    authorizerError: '$context.authorizer.error',
    error: '$context.error.message',
    integrationError: '$context.integrationErrorMessage',
  });
}

export function restAccessLogFormat(): string {
  return JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    method: '$context.httpMethod',
    resourcePath: '$context.resourcePath',
    status: '$context.status',
    latencyMs: '$context.responseLatency',
    sub: '$context.authorizer.sub',
    iamUser: '$context.identity.userArn',
    authorizerStatus: '$context.authorizer.status',
    authorizerError: '$context.authorizer.error',
    error: '$context.error.message',
    errorType: '$context.error.responseType',
  });
}
