/**
 * HTTP APIs of a template (`AWS::ApiGatewayV2::Api`, `::Route`, `::Integration`, `::Authorizer`).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigatewayv2-route.html
 */
import { HTTP_METHODS } from '../../common/route-model';
import type { HttpMethod } from '../../common/route-model';
import type { AssemblyApi, AssemblyCors, AssemblyRoute } from './assembly-model';
import type { ApiAuthorizerState, AuthorizerFields } from './route-target';
import { authorizationUnsupported, authorizerOf, lambdaProxyTarget, routeAuthOf } from './route-target';
import type { Resource, Resources } from './template';
import { literal, refOf } from './template';

export function readHttpApis(resources: Resources): AssemblyApi[] {
  const apis: AssemblyApi[] = [];
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::ApiGatewayV2::Api' || r.Properties?.ProtocolType !== 'HTTP') continue;
    const state: ApiAuthorizerState = { authorizers: [] };
    const routes = Object.values(resources)
      .filter((x) => x.Type === 'AWS::ApiGatewayV2::Route' && refOf(x.Properties?.ApiId) === id)
      .map((x) => httpRoute(resources, x, state));
    const cors = httpCors(r.Properties?.CorsConfiguration);
    apis.push({
      id,
      kind: 'http',
      name: literal(r.Properties?.Name) ?? id,
      routes,
      ...(state.authorizers[0] ? { authorizer: state.authorizers[0] } : {}),
      authorizers: state.authorizers,
      ...(cors ? { cors } : {}),
    });
  }
  return apis;
}

function httpRoute(resources: Resources, route: Resource, state: ApiAuthorizerState): AssemblyRoute {
  const p = route.Properties ?? {};
  const key = literal(p.RouteKey) ?? '';
  const [m, path] = key.split(' ');
  const method = (HTTP_METHODS as readonly string[]).includes(m) ? (m as HttpMethod) : 'ANY';
  const base = { method, path: path ?? '/', streaming: false };
  if (!path) return { ...base, auth: 'none', unsupported: `route '${key}' is not METHOD /path` };
  const target = /^integrations\/(.+)$/.exec(literal(p.Target) ?? '')?.[1] ?? refOf(p.Target);
  const ip = (target ? resources[target]?.Properties : undefined) ?? {};
  const lambda = lambdaProxyTarget(resources, key, ip.IntegrationType, ip.IntegrationUri);
  const kind = literal(p.AuthorizationType) ?? 'NONE';
  const format = literal(ip.PayloadFormatVersion);
  const unsupported =
    authorizationUnsupported(resources, key, kind, refOf(p.AuthorizerId), state, httpAuthorizerFields) ??
    lambda.unsupported ??
    (format !== '1.0' && format !== '2.0'
      ? `route ${key}: payload format ${format ?? '?'} is not emulated (1.0 and 2.0 are)`
      : undefined);
  return {
    ...base,
    ...(lambda.functionId ? { functionId: lambda.functionId } : {}),
    auth: routeAuthOf(kind === 'JWT' ? 'CUSTOM' : kind),
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    ...(format === '1.0' ? { payloadFormat: '1.0' as const } : {}),
    ...(kind === 'JWT' ? { scopes: literalList(p.AuthorizationScopes) } : {}),
    ...authorizerOf(kind, refOf(p.AuthorizerId)),
    ...(unsupported ? { unsupported } : {}),
  };
}

/** `AWS::ApiGatewayV2::Authorizer`: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigatewayv2-authorizer.html */
function httpAuthorizerFields(a: Record<string, unknown>): AuthorizerFields {
  const format = literal(a.AuthorizerPayloadFormatVersion);
  const jwt = (a.JwtConfiguration ?? {}) as { Issuer?: unknown; Audience?: unknown };
  const issuer = literal(jwt.Issuer);
  const audience = Array.isArray(jwt.Audience) ? jwt.Audience.map(literal) : [];
  return {
    ...(issuer && audience.every((x) => x !== undefined)
      ? { jwt: { issuer, audience: audience as string[] } }
      : {}),
    type: literal(a.AuthorizerType),
    uri: a.AuthorizerUri,
    identitySources: Array.isArray(a.IdentitySource) ? a.IdentitySource.map((s) => literal(s) ?? '') : [],
    cacheTtl: a.AuthorizerResultTtlInSeconds,
    responseMode: a.EnableSimpleResponses === true ? 'simple' : 'iam',
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html#http-api-lambda-authorizer.payload-format
    ...(format === '1.0' || format === '2.0' ? { payloadFormat: format } : {}),
    ...(literal(a.AuthorizerType) === 'JWT'
      ? jwtResolvedAtDeployment(jwt)
      : literal(a.AuthorizerType) !== 'REQUEST'
        ? {}
        : format !== '1.0' && format !== '2.0'
          ? { unsupported: `its authorizer's payload format ${format ?? '?'} is not 1.0 or 2.0` }
          : format === '1.0' && a.EnableSimpleResponses === true
            ? { unsupported: 'its authorizer has simple responses with payload format 1.0 (2.0 only)' }
            : {}),
  };
}

/**
 * A JWT authorizer whose issuer or audience the template resolves only at deployment: a reference, or the
 * region of an environment-agnostic stack (aws-cdk's HttpUserPoolAuthorizer writes
 * `https://cognito-idp.${AWS::Region}.amazonaws.com/<pool id>` then).
 */
function jwtResolvedAtDeployment(jwt: { Issuer?: unknown; Audience?: unknown }): { unsupported?: string } {
  const unresolved = [
    ...(jwt.Issuer !== undefined && literal(jwt.Issuer) === undefined ? ['issuer'] : []),
    ...(Array.isArray(jwt.Audience) && jwt.Audience.some((x) => literal(x) === undefined)
      ? ['audience']
      : []),
  ];
  return unresolved.length === 0
    ? {}
    : {
        unsupported: `its JWT authorizer's ${unresolved.join(' and ')} ${unresolved.length > 1 ? 'are' : 'is'} resolved only at deployment (a reference, or the region of a stack without env): give the stack an explicit region, or a literal issuer URL`,
      };
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

function literalList(value: unknown): string[] {
  return Array.isArray(value) ? value.flatMap((v) => (typeof v === 'string' ? [v] : [])) : [];
}
