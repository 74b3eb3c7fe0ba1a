/**
 * HTTP APIs of a template (`AWS::ApiGatewayV2::Api`, `::Route`, `::Integration`, `::Authorizer`).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigatewayv2-route.html
 */
import { HTTP_METHODS } from '../../common/route-model';
import type { HttpMethod } from '../../common/route-model';
import type { AssemblyApi, AssemblyAuthorizer, AssemblyCors, AssemblyRoute } from './assembly-model';
import type { Resource, Resources } from './template';
import { identityHeader, lambdaIdOf, literal, refOf } from './template';

export function readHttpApis(resources: Resources): AssemblyApi[] {
  const apis: AssemblyApi[] = [];
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::ApiGatewayV2::Api' || r.Properties?.ProtocolType !== 'HTTP') continue;
    const state: { authorizer?: AssemblyAuthorizer } = {};
    const routes = Object.values(resources)
      .filter((x) => x.Type === 'AWS::ApiGatewayV2::Route' && refOf(x.Properties?.ApiId) === id)
      .map((x) => httpRoute(resources, x, state));
    const cors = httpCors(r.Properties?.CorsConfiguration);
    apis.push({
      id,
      kind: 'http',
      name: literal(r.Properties?.Name) ?? id,
      routes,
      ...(state.authorizer ? { authorizer: state.authorizer } : {}),
      ...(cors ? { cors } : {}),
    });
  }
  return apis;
}

function httpRoute(
  resources: Resources,
  route: Resource,
  state: { authorizer?: AssemblyAuthorizer },
): AssemblyRoute {
  const p = route.Properties ?? {};
  const key = literal(p.RouteKey) ?? '';
  const [m, path] = key.split(' ');
  const method = (HTTP_METHODS as readonly string[]).includes(m) ? (m as HttpMethod) : 'ANY';
  const base = { method, path: path ?? '/', streaming: false };
  if (!path) return { ...base, auth: 'none', unsupported: `route '${key}' is not METHOD /path` };
  const target = /^integrations\/(.+)$/.exec(literal(p.Target) ?? '')?.[1] ?? refOf(p.Target);
  const integration = target ? resources[target] : undefined;
  const ip = integration?.Properties ?? {};
  const functionId = lambdaIdOf(resources, ip.IntegrationUri);
  const withFn = { ...base, ...(functionId ? { functionId } : {}) };
  const kind = literal(p.AuthorizationType) ?? 'NONE';
  const auth = kind === 'AWS_IAM' ? 'iam' : kind === 'CUSTOM' ? 'keycloak' : 'none';
  const unsupported =
    authUnsupported(resources, key, kind, refOf(p.AuthorizerId), state) ??
    (ip.IntegrationType !== 'AWS_PROXY' || !functionId
      ? `route ${key}: its integration is not a Lambda proxy integration of this stack`
      : ip.PayloadFormatVersion !== '2.0'
        ? `route ${key}: payload format ${literal(ip.PayloadFormatVersion) ?? '?'} is not emulated (2.0 only)`
        : undefined);
  return { ...withFn, auth, ...(unsupported ? { unsupported } : {}) };
}

/** Why a route's authorization cannot be emulated; records the API's Lambda authorizer on first use. */
function authUnsupported(
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
  if (!a || a.AuthorizerType !== 'REQUEST' || !functionId) {
    return `route ${key}: its ${literal(a?.AuthorizerType) ?? 'unknown'} authorizer is not a Lambda REQUEST authorizer of this stack`;
  }
  if (a.AuthorizerPayloadFormatVersion !== '2.0') {
    return `route ${key}: authorizer payload format ${literal(a.AuthorizerPayloadFormatVersion) ?? '?'} is not emulated (2.0 only)`;
  }
  if (state.authorizer && state.authorizer.id !== authorizerId) {
    return `route ${key}: a second Lambda authorizer on one API is not emulated (${authorizerId})`;
  }
  const sources = Array.isArray(a.IdentitySource) ? a.IdentitySource.map((s) => literal(s) ?? '') : [];
  state.authorizer ??= {
    id: authorizerId!,
    functionId,
    identityHeaders: sources.map(identityHeader).filter((h): h is string => h !== undefined),
    cacheTtlSeconds:
      typeof a.AuthorizerResultTtlInSeconds === 'number' ? a.AuthorizerResultTtlInSeconds : 300,
    responseMode: a.EnableSimpleResponses === true ? 'simple' : 'iam',
  };
  return undefined;
}

function httpCors(value: unknown): AssemblyCors | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const c = value as { AllowOrigins?: unknown; AllowHeaders?: unknown; MaxAge?: unknown };
  const strings = (v: unknown) =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  return {
    allowOrigins: strings(c.AllowOrigins),
    allowHeaders: strings(c.AllowHeaders),
    ...(typeof c.MaxAge === 'number' ? { maxAgeSeconds: c.MaxAge } : {}),
  };
}
