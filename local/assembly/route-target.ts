/**
 * What a route of either API flavour needs from the template, read once for both: how it is authorized
 * (the Lambda authorizer it uses, recorded for its API) and which function its proxy integration invokes.
 * The HTTP and REST readers differ only in where these live and what the properties are called.
 */
import type { AssemblyAuthorizer, AssemblyRouteAuth } from './assembly-model';
import type { Resources } from './template';
import { identityHeader, lambdaIdOf, literal } from './template';

/** `AuthorizationType` (both flavours) as the local gateway's route auth. */
export function routeAuthOf(authorizationType: string): AssemblyRouteAuth {
  return authorizationType === 'AWS_IAM' ? 'iam' : authorizationType === 'CUSTOM' ? 'keycloak' : 'none';
}

/** An authorizer resource's properties under their common meaning. */
export interface AuthorizerFields {
  /** `REQUEST`, `TOKEN` (REST only), `JWT` (HTTP only). */
  readonly type: string | undefined;
  readonly uri: unknown;
  readonly identitySources: readonly string[];
  readonly cacheTtl: unknown;
  readonly responseMode: 'iam' | 'simple';
  /** Why this flavour cannot emulate the authorizer beyond its type (HTTP: payload format 1.0). */
  readonly unsupported?: string;
  /** TOKEN authorizers: `IdentityValidationExpression`. */
  readonly validationExpression?: string;
  /** JWT authorizers (HTTP API): `JwtConfiguration`. */
  readonly jwt?: { readonly issuer: string; readonly audience: readonly string[] };
}

/** The API's Lambda authorizer seen so far: routes of one API share one. */
export interface ApiAuthorizerState {
  authorizer?: AssemblyAuthorizer;
}

/** Lambda authorizer types the local gateway calls: REQUEST (both flavours) and TOKEN (REST). */
const EMULATED_TYPES = new Set(['REQUEST', 'TOKEN']);

/**
 * Why a route's authorization cannot be emulated (undefined when it can); records the API's Lambda
 * authorizer on first use. `fieldsOf` reads the flavour's authorizer resource.
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
  const properties = authorizerId ? resources[authorizerId]?.Properties : undefined;
  const fields = properties ? fieldsOf(properties) : undefined;
  if (authorizationType === 'JWT') return jwtAuthorizer(key, authorizerId, fields, state);
  const functionId = lambdaIdOf(resources, fields?.uri);
  if (!fields || !EMULATED_TYPES.has(fields.type ?? '') || !functionId) {
    return `route ${key}: its ${fields?.type ?? 'unknown'} authorizer is not a Lambda REQUEST or TOKEN authorizer of this stack`;
  }
  if (fields.unsupported) return `route ${key}: ${fields.unsupported}`;
  if (state.authorizer && state.authorizer.id !== authorizerId) {
    return `route ${key}: a second Lambda authorizer on one API is not emulated (${authorizerId})`;
  }
  state.authorizer ??= {
    id: authorizerId!,
    functionId,
    type: fields.type === 'TOKEN' ? 'TOKEN' : 'REQUEST',
    identityHeaders: fields.identitySources.map(identityHeader).filter((h): h is string => h !== undefined),
    cacheTtlSeconds: typeof fields.cacheTtl === 'number' ? fields.cacheTtl : 300,
    responseMode: fields.responseMode,
    ...(fields.validationExpression ? { validationExpression: fields.validationExpression } : {}),
  };
  return undefined;
}

/**
 * An HTTP API JWT authorizer whose issuer is a Keycloak realm (`…/realms/<name>`): a built-in issuer can
 * stand in for it. https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
 */
function jwtAuthorizer(
  key: string,
  authorizerId: string | undefined,
  fields: AuthorizerFields | undefined,
  state: ApiAuthorizerState,
): string | undefined {
  const jwt = fields?.type === 'JWT' ? fields.jwt : undefined;
  if (!fields || !jwt || !authorizerId) {
    return `route ${key}: its JWT authorizer has no literal issuer and audience`;
  }
  if (!/^https:\/\/[^/]+(?:\/auth)?\/realms\/[^/]+$/.test(jwt.issuer)) {
    return `route ${key}: its JWT authorizer's issuer ${jwt.issuer} is not a Keycloak realm (no local stand-in)`;
  }
  if (state.authorizer && state.authorizer.id !== authorizerId) {
    return `route ${key}: a second authorizer on one API is not emulated (${authorizerId})`;
  }
  state.authorizer ??= {
    id: authorizerId,
    functionId: '',
    type: 'JWT',
    identityHeaders: fields.identitySources.map(identityHeader).filter((h): h is string => h !== undefined),
    // API Gateway caches no JWT authorizer result: each request's token is validated.
    cacheTtlSeconds: 0,
    responseMode: 'simple',
    jwt,
  };
  return undefined;
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
