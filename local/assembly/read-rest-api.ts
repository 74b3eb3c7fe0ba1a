/**
 * REST APIs of a template (`AWS::ApiGateway::RestApi`, `::Resource`, `::Method`, `::Authorizer`).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-method.html
 */
import { HTTP_METHODS } from '../../common/route-model';
import type { HttpMethod } from '../../common/route-model';
import type { AssemblyApi, AssemblyAuthorizer, AssemblyCors, AssemblyRoute } from './assembly-model';
import { readGatewayResponses } from './gateway-responses';
import type { Resource, Resources } from './template';
import { identityHeader, lambdaIdOf, literal, refOf } from './template';

export function readRestApis(resources: Resources): AssemblyApi[] {
  const apis: AssemblyApi[] = [];
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::ApiGateway::RestApi') continue;
    const methods = Object.values(resources).filter(
      (x) => x.Type === 'AWS::ApiGateway::Method' && refOf(x.Properties?.RestApiId) === id,
    );
    const state: { authorizer?: AssemblyAuthorizer } = {};
    const routes = methods.filter((m) => !isCorsPreflight(m)).map((m) => restRoute(resources, id, m, state));
    const cors = restCors(methods.find(isCorsPreflight));
    apis.push({
      id,
      kind: 'rest',
      name: literal(r.Properties?.Name) ?? id,
      routes,
      ...(state.authorizer ? { authorizer: state.authorizer } : {}),
      ...(cors ? { cors } : {}),
      gatewayResponses: readGatewayResponses(resources, id),
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
  state: { authorizer?: AssemblyAuthorizer },
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
  const functionId = lambdaIdOf(resources, integration.Uri);
  const kind = literal(p.AuthorizationType) ?? 'NONE';
  const auth = kind === 'AWS_IAM' ? 'iam' : kind === 'CUSTOM' ? 'keycloak' : 'none';
  const unsupported =
    restAuthUnsupported(resources, key, kind, refOf(p.AuthorizerId), state) ??
    (integration.Type !== 'AWS_PROXY' || !functionId
      ? `route ${key}: its integration is not a Lambda proxy integration of this stack`
      : integration.ResponseTransferMode === 'STREAM'
        ? `route ${key}: response streaming integrations are not run from assets`
        : undefined);
  return {
    method,
    path,
    auth,
    streaming: integration.ResponseTransferMode === 'STREAM',
    ...(functionId ? { functionId } : {}),
    ...(unsupported ? { unsupported } : {}),
  };
}

function restAuthUnsupported(
  resources: Resources,
  key: string,
  kind: string,
  authorizerId: string | undefined,
  state: { authorizer?: AssemblyAuthorizer },
): string | undefined {
  if (kind === 'NONE' || kind === 'AWS_IAM') return undefined;
  if (kind !== 'CUSTOM') return `route ${key}: authorization type ${kind} is not emulated`;
  const a = authorizerId ? resources[authorizerId]?.Properties : undefined;
  const functionId = lambdaIdOf(resources, a?.AuthorizerUri);
  if (!a || a.Type !== 'REQUEST' || !functionId) {
    return `route ${key}: its ${literal(a?.Type) ?? 'unknown'} authorizer is not a Lambda REQUEST authorizer of this stack`;
  }
  if (state.authorizer && state.authorizer.id !== authorizerId) {
    return `route ${key}: a second Lambda authorizer on one API is not emulated (${authorizerId})`;
  }
  const sources = (literal(a.IdentitySource) ?? '').split(',').filter((s) => s.trim() !== '');
  state.authorizer ??= {
    id: authorizerId!,
    functionId,
    identityHeaders: sources.map(identityHeader).filter((h): h is string => h !== undefined),
    cacheTtlSeconds:
      typeof a.AuthorizerResultTtlInSeconds === 'number' ? a.AuthorizerResultTtlInSeconds : 300,
    responseMode: 'iam',
  };
  return undefined;
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
