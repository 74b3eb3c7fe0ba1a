/**
 * What a route of either API flavour needs from the template, read once for both: how it is authorized
 * (the Lambda authorizer it uses, recorded for its API) and which function its proxy integration invokes.
 * The HTTP and REST readers differ only in where these live and what the properties are called.
 */
import type { AssemblyAuthorizer, AssemblyRouteAuth } from './assembly-model';
import type { Resources } from './template';
import { identitySourceRef, lambdaIdOf, literal } from './template';

/** `AuthorizationType` (both flavours) as the local gateway's route auth. */
export function routeAuthOf(authorizationType: string): AssemblyRouteAuth {
  return authorizationType === 'AWS_IAM' ? 'iam' : authorizationType === 'CUSTOM' ? 'keycloak' : 'none';
}

/** An authorized route's `authorizerId` (CUSTOM and JWT routes). */
export function authorizerOf(authorizationType: string, authorizerId: string | undefined) {
  return (authorizationType === 'CUSTOM' || authorizationType === 'JWT') && authorizerId
    ? { authorizerId }
    : {};
}

/** An authorizer resource's properties under their common meaning. */
export interface AuthorizerFields {
  /** `REQUEST`, `TOKEN` (REST only), `JWT` (HTTP only). */
  readonly type: string | undefined;
  readonly uri: unknown;
  readonly identitySources: readonly string[];
  readonly cacheTtl: unknown;
  readonly responseMode: 'iam' | 'simple';
  /** Why this flavour cannot emulate the authorizer beyond its type. */
  readonly unsupported?: string;
  /** TOKEN authorizers: `IdentityValidationExpression`. */
  readonly validationExpression?: string;
  /** JWT authorizers (HTTP API): `JwtConfiguration`. */
  readonly jwt?: { readonly issuer: string; readonly audience: readonly string[] };
  /** HTTP API Lambda authorizers: `AuthorizerPayloadFormatVersion`. */
  readonly payloadFormat?: '1.0' | '2.0';
}

/** The authorizers of one API, in the order its routes first name them. */
export interface ApiAuthorizerState {
  readonly authorizers: AssemblyAuthorizer[];
}

/** Lambda authorizer types the local gateway calls: REQUEST (both flavours) and TOKEN (REST). */
const EMULATED_TYPES = new Set(['REQUEST', 'TOKEN']);

/**
 * Why a route's authorization cannot be emulated (undefined when it can); records the authorizer the
 * route names among its API's on first use, so each authorizer keeps its own settings and result cache.
 * `fieldsOf` reads the flavour's authorizer resource.
 */
export function authorizationUnsupported(
  resources: Resources,
  key: string,
  authorizationType: string,
  authorizerId: string | undefined,
  state: ApiAuthorizerState,
  fieldsOf: (properties: Record<string, unknown>) => AuthorizerFields,
): string | undefined {
  if (authorizationType === 'NONE' || authorizationType === 'AWS_IAM') return undefined;
  if (authorizationType !== 'CUSTOM' && authorizationType !== 'JWT') {
    return `route ${key}: authorization type ${authorizationType} is not emulated`;
  }
  if (authorizerId && state.authorizers.some((a) => a.id === authorizerId)) return undefined;
  const properties = authorizerId ? resources[authorizerId]?.Properties : undefined;
  const fields = properties ? fieldsOf(properties) : undefined;
  const read =
    authorizationType === 'JWT'
      ? jwtAuthorizer(authorizerId, fields)
      : lambdaAuthorizer(resources, authorizerId, fields);
  if (typeof read === 'string') return `route ${key}: ${read}`;
  state.authorizers.push(read);
  return undefined;
}

/** A Lambda REQUEST or TOKEN authorizer of the stack, or why it cannot be called locally. */
function lambdaAuthorizer(
  resources: Resources,
  authorizerId: string | undefined,
  fields: AuthorizerFields | undefined,
): AssemblyAuthorizer | string {
  const functionId = lambdaIdOf(resources, fields?.uri);
  if (!fields || !authorizerId || !EMULATED_TYPES.has(fields.type ?? '') || !functionId) {
    return `its ${fields?.type ?? 'unknown'} authorizer is not a Lambda REQUEST or TOKEN authorizer of this stack`;
  }
  if (fields.unsupported) return fields.unsupported;
  const sources = identitySourcesOf(fields);
  if (typeof sources === 'string') return sources;
  return {
    id: authorizerId,
    functionId,
    type: fields.type === 'TOKEN' ? 'TOKEN' : 'REQUEST',
    ...sources,
    cacheTtlSeconds: typeof fields.cacheTtl === 'number' ? fields.cacheTtl : 300,
    responseMode: fields.responseMode,
    ...(fields.validationExpression ? { validationExpression: fields.validationExpression } : {}),
    ...(fields.payloadFormat === '1.0' ? { payloadFormat: '1.0' as const } : {}),
  };
}

/**
 * The identity sources as the gateway reads them: request headers and query-string parameters, plus the
 * route key, which the gateway adds itself in simple response mode. Stage variables and other context
 * variables hold values the local gateway does not have: refused rather than mis-emulated.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html#http-api-lambda-authorizer.identity-sources
 */
function identitySourcesOf(
  fields: AuthorizerFields,
): Pick<AssemblyAuthorizer, 'identityHeaders' | 'identitySources'> | string {
  const sources = fields.identitySources.filter((s) => s.trim() !== '$context.routeKey');
  const refs = sources.map(identitySourceRef);
  const other = sources.find((_, i) => refs[i] === undefined);
  if (other !== undefined) {
    return `its identity source ${other} is not emulated (request headers and query strings are)`;
  }
  const identitySources = refs.filter((r) => r !== undefined);
  if (fields.type === 'TOKEN' && identitySources.some((s) => s.in !== 'header')) {
    return 'its TOKEN authorizer reads a query string; a TOKEN authorizer reads one header';
  }
  return {
    identityHeaders: identitySources.filter((s) => s.in === 'header').map((s) => s.name),
    identitySources,
  };
}

/**
 * An HTTP API JWT authorizer: API Gateway checks the token itself (jwt-authorizer.ts). Its issuer must be
 * a literal https URL: a Keycloak realm gets a built-in issuer standing in for it, any other OpenID
 * Connect issuer is used as deployed (jwt-authorizer-oidc.ts).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
 */
function jwtAuthorizer(
  authorizerId: string | undefined,
  fields: AuthorizerFields | undefined,
): AssemblyAuthorizer | string {
  const jwt = fields?.type === 'JWT' ? fields.jwt : undefined;
  if (fields?.type === 'JWT' && fields.unsupported) return fields.unsupported;
  if (!fields || !jwt || !authorizerId) return 'its JWT authorizer has no literal issuer and audience';
  if (!/^https:\/\/[^/]+/.test(jwt.issuer)) {
    return `its JWT authorizer's issuer ${jwt.issuer} is not an https URL (API Gateway discovers its keys over https)`;
  }
  const sources = identitySourcesOf(fields);
  if (typeof sources === 'string') return sources;
  return {
    id: authorizerId,
    functionId: '',
    type: 'JWT',
    ...sources,
    // API Gateway caches no JWT authorizer result: each request's token is validated.
    cacheTtlSeconds: 0,
    responseMode: 'simple',
    jwt,
  };
}

/** The function a route's integration invokes, or why it is not a Lambda proxy integration of the stack. */
export function lambdaProxyTarget(
  resources: Resources,
  key: string,
  integrationType: unknown,
  uri: unknown,
): { functionId?: string; unsupported?: string } {
  const functionId = lambdaIdOf(resources, uri);
  if (literal(integrationType) !== 'AWS_PROXY' || !functionId) {
    return {
      ...(functionId ? { functionId } : {}),
      unsupported: `route ${key}: its integration is not a Lambda proxy integration of this stack`,
    };
  }
  return { functionId };
}
