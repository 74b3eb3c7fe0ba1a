/**
 * REST APIs of a template (`AWS::ApiGateway::RestApi`, `::Resource`, `::Method`, `::Authorizer`).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-method.html
 */
import { HTTP_METHODS } from '../../common/route-model';
import type { HttpMethod } from '../../common/route-model';
import type { AssemblyApi, AssemblyCors, AssemblyRoute } from './assembly-model';
import { readGatewayResponses } from './gateway-responses';
import type { ApiAuthorizerState, AuthorizerFields } from './route-target';
import { authorizationUnsupported, authorizerOf, lambdaProxyTarget, routeAuthOf } from './route-target';
import type { Resource, Resources } from './template';
import { literal, refOf } from './template';

export function readRestApis(resources: Resources): AssemblyApi[] {
  const apis: AssemblyApi[] = [];
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::ApiGateway::RestApi') continue;
    const methods = Object.values(resources).filter(
      (x) => x.Type === 'AWS::ApiGateway::Method' && refOf(x.Properties?.RestApiId) === id,
    );
    const state: ApiAuthorizerState = { authorizers: [] };
    const routes = methods.filter((m) => !isCorsPreflight(m)).map((m) => restRoute(resources, id, m, state));
    const cors = restCors(methods.find(isCorsPreflight));
    apis.push({
      id,
      kind: 'rest',
      name: literal(r.Properties?.Name) ?? id,
      routes,
      ...(state.authorizers[0] ? { authorizer: state.authorizers[0] } : {}),
      authorizers: state.authorizers,
      ...(cors ? { cors } : {}),
      gatewayResponses: readGatewayResponses(resources, id),
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html
      apiKeySource: r.Properties?.ApiKeySourceType === 'AUTHORIZER' ? 'AUTHORIZER' : 'HEADER',
    });
  }
  return apis;
}

/** `/a/{b}` of a resource id, following `ParentId` up to the API's root resource. */
function resourcePath(resources: Resources, id: string | undefined, depth = 0): string {
  const r = id ? resources[id] : undefined;
  if (!r || r.Type !== 'AWS::ApiGateway::Resource' || depth > 50) return '';
  return `${resourcePath(resources, refOf(r.Properties?.ParentId), depth + 1)}/${literal(r.Properties?.PathPart) ?? '?'}`;
}

function restRoute(
  resources: Resources,
  apiId: string,
  m: Resource,
  state: ApiAuthorizerState,
): AssemblyRoute {
  const p = m.Properties ?? {};
  const verb = literal(p.HttpMethod) ?? 'ANY';
  const method = (HTTP_METHODS as readonly string[]).includes(verb) ? (verb as HttpMethod) : 'ANY';
  const resourceId = refOf(p.ResourceId);
  const path = resourceId === apiId ? '/' : resourcePath(resources, resourceId) || '/';
  const key = `${method} ${path}`;
  const integration = (p.Integration ?? {}) as {
    Type?: unknown;
    Uri?: unknown;
    ResponseTransferMode?: unknown;
  };
  const lambda = lambdaProxyTarget(resources, key, integration.Type, integration.Uri);
  const kind = literal(p.AuthorizationType) ?? 'NONE';
  const unsupported =
    authorizationUnsupported(resources, key, kind, refOf(p.AuthorizerId), state, restAuthorizerFields) ??
    lambda.unsupported;
  return {
    method,
    path,
    auth: routeAuthOf(kind),
    streaming: integration.ResponseTransferMode === 'STREAM',
    ...(lambda.functionId ? { functionId: lambda.functionId } : {}),
    ...authorizerOf(kind, refOf(p.AuthorizerId)),
    ...(unsupported ? { unsupported } : {}),
    ...(p.ApiKeyRequired === true || p.ApiKeyRequired === 'true' ? { apiKeyRequired: true } : {}),
  };
}

/**
 * `AWS::ApiGateway::Authorizer`: a REST authorizer answers with a policy; its identity sources are one
 * comma-separated string. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-authorizer.html
 */
function restAuthorizerFields(a: Record<string, unknown>): AuthorizerFields {
  const validation = literal(a.IdentityValidationExpression);
  return {
    type: literal(a.Type),
    uri: a.AuthorizerUri,
    identitySources: (literal(a.IdentitySource) ?? '').split(',').filter((s) => s.trim() !== ''),
    cacheTtl: a.AuthorizerResultTtlInSeconds,
    responseMode: 'iam',
    ...(validation ? { validationExpression: validation } : {}),
  };
}

/** An OPTIONS method answered by a MOCK integration: the preflight `corsPreflight` adds to each resource. */
function isCorsPreflight(m: Resource): boolean {
  const integration = (m.Properties?.Integration ?? {}) as { Type?: unknown };
  return m.Properties?.HttpMethod === 'OPTIONS' && integration.Type === 'MOCK';
}

/** The CORS settings a preflight method answers with (values are quoted literals, `'...'`). */
function restCors(m: Resource | undefined): AssemblyCors | undefined {
  const responses = ((m?.Properties?.Integration ?? {}) as { IntegrationResponses?: unknown })
    .IntegrationResponses;
  const params = Array.isArray(responses)
    ? ((responses[0] as { ResponseParameters?: Record<string, unknown> })?.ResponseParameters ?? {})
    : undefined;
  if (!params) return undefined;
  const value = (name: string) =>
    literal(params[`method.response.header.${name}`])?.replace(/^'|'$/g, '') ?? undefined;
  const origin = value('Access-Control-Allow-Origin');
  if (!origin) return undefined;
  const maxAge = Number(value('Access-Control-Max-Age'));
  return {
    allowOrigins: [origin],
    allowHeaders: (value('Access-Control-Allow-Headers') ?? '').split(',').filter(Boolean),
    ...(Number.isFinite(maxAge) && maxAge > 0 ? { maxAgeSeconds: maxAge } : {}),
  };
}
