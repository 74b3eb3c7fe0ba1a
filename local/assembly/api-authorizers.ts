/**
 * The authorizers of one served API, as the local gateway calls them: each route with its own
 * (`routeAuthorizers`, one state and result cache per authorizer, route-authorizers.ts), built from what
 * the template says of it: a Lambda REQUEST or TOKEN authorizer runs the stack's function (HTTP API
 * payload 2.0 or 1.0); a JWT authorizer is checked by a stand-in doing what API Gateway does, against a
 * built-in issuer for a Keycloak realm or against the deployed OpenID Connect issuer for any other.
 */
import { routeKey } from '../../common/route-model';
import type { LambdaFunction, LocalGatewayOptions } from '../gateway/local-gateway';
import type { GatewayAuthorizer } from '../gateway/route-authorizers';
import type { AssemblyApi, AssemblyAuthorizer, AssemblyStack } from './assembly-model';
import { AssemblyError } from './assembly-model';
import type { FunctionRegistry } from './function-registry';
import { localJwtAuthorizer, withJwtContext } from './jwt-authorizer';
import { discoverJwksUri, isKeycloakRealmIssuer } from './jwt-authorizer-oidc';
import type { LocalTrust } from './local-trust';

/** The gateway's authorizer options for `api`, and its integrations with JWT routes' claims passed on. */
export function apiAuthorizers(
  api: AssemblyApi,
  stack: AssemblyStack,
  functions: FunctionRegistry,
  trust: LocalTrust,
  integrations: Readonly<Record<string, LambdaFunction>>,
): Pick<LocalGatewayOptions, 'authorizer' | 'cacheTtlSeconds' | 'routeAuthorizers' | 'integrations'> {
  const byId = new Map(
    api.authorizers.map((a) => [a.id, gatewayAuthorizer(a, api, stack, functions, trust)]),
  );
  const routeAuthorizers: Record<string, GatewayAuthorizer> = {};
  const wrapped: Record<string, LambdaFunction> = { ...integrations };
  for (const r of api.routes) {
    const a = r.authorizerId ? byId.get(r.authorizerId) : undefined;
    if (r.auth !== 'keycloak' || r.unsupported || !a) continue;
    const key = routeKey(r);
    routeAuthorizers[key] = a;
    if (api.authorizers.find((x) => x.id === r.authorizerId)?.type === 'JWT' && wrapped[key]) {
      wrapped[key] = withJwtContext(wrapped[key]);
    }
  }
  return {
    // Every authorized route names its own; a route reaching the gateway's own is a bug, answered 500.
    authorizer: () => Promise.reject(new Error('no authorizer for this route')),
    cacheTtlSeconds: 0,
    routeAuthorizers,
    integrations: wrapped,
  };
}

function gatewayAuthorizer(
  a: AssemblyAuthorizer,
  api: AssemblyApi,
  stack: AssemblyStack,
  functions: FunctionRegistry,
  trust: LocalTrust,
): GatewayAuthorizer {
  const settings = {
    cacheTtlSeconds: a.cacheTtlSeconds,
    identitySources: a.identitySources,
    identitySource: a.identitySources.length === 0 ? ('none' as const) : ('header' as const),
  };
  if (a.jwt) {
    return { ...settings, responseMode: 'simple', authorizer: jwtStandIn(a, a.jwt, api, trust) };
  }
  const fn = stack.functions[a.functionId];
  return {
    ...settings,
    responseMode: a.responseMode,
    authorizer:
      fn && !fn.unsupported
        ? functions.invoke(fn)
        : () => Promise.reject(new Error(fn?.unsupported ?? 'no authorizer function')),
    ...(a.type === 'TOKEN' ? { authorizerType: 'TOKEN' as const } : {}),
    ...(a.validationExpression ? { tokenValidation: tokenValidation(a.validationExpression) } : {}),
    ...(a.payloadFormat === '1.0' ? { payloadFormat: '1.0' as const } : {}),
  };
}

/** A TOKEN authorizer's `IdentityValidationExpression`: the whole token must match it. */
function tokenValidation(expression: string): RegExp {
  return new RegExp(`^(?:${expression})$`);
}

/** The JWT authorizer's stand-in: a built-in issuer's (or --keycloak's) realm, else the deployed issuer. */
function jwtStandIn(
  a: AssemblyAuthorizer,
  jwt: NonNullable<AssemblyAuthorizer['jwt']>,
  api: AssemblyApi,
  trust: LocalTrust,
): LambdaFunction {
  const scopes = Object.fromEntries(
    api.routes.filter((r) => r.authorizerId === a.id).map((r) => [routeKey(r), r.scopes ?? []]),
  );
  if (!isKeycloakRealmIssuer(jwt.issuer)) {
    return localJwtAuthorizer({
      issuer: jwt.issuer,
      jwksUri: discoverJwksUri(jwt.issuer),
      audience: jwt.audience,
      scopes,
      ...(trust.keycloakCa ? { ca: trust.keycloakCa } : {}),
    });
  }
  const realm = trust.realms.find((r) => r.deployed === jwt.issuer);
  if (!realm) throw new AssemblyError(`no local stand-in for the JWT authorizer's issuer ${jwt.issuer}`);
  return localJwtAuthorizer({
    issuer: realm.url,
    // Keycloak's JWKS path under the realm (https://www.keycloak.org/docs/latest/securing_apps/#available-endpoints).
    jwksUri: realm.issuer?.urls.certs ?? `${realm.url}/protocol/openid-connect/certs`,
    audience: jwt.audience,
    scopes,
    ...(realm.issuer?.ca ? { ca: realm.issuer.ca } : trust.keycloakCa ? { ca: trust.keycloakCa } : {}),
  });
}
