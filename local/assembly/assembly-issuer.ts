/**
 * The issuers an assembly's authorizer trusts, locally: a built-in issuer standing in for each Keycloak
 * realm of the authorizer's `KEYGATE_CONFIG`, or a real Keycloak realm. Either way the config the
 * authorizer function receives names the local realm instead of the deployed one (every occurrence of the
 * deployed issuer URL, route scopes included), so tokens verify without changing the app.
 */
import type { KeycloakRealmConfig } from '../../common/app-config';
import type { AuthorizerConfig, KeycloakIssuerConfig } from '../../common/authorizer-config';
import { INSECURE_HTTP_ISSUER } from '../../common/authorizer-config';
import type { Entitlements, Requirement } from '../../common/route-model';

/** Test users of the built-in issuer: one holding every realm role the routes name, one holding none. */
export const GRANTED_USER = 'granted';
export const PLAIN_USER = 'plain';

/** The Keycloak issuers the config trusts (each gets a built-in issuer standing in for it). */
export function keycloakIssuersOf(config: AuthorizerConfig): KeycloakIssuerConfig[] {
  return config.issuers.filter((i): i is KeycloakIssuerConfig => i.kind === 'keycloak');
}

function entitlements(requirement: Requirement | undefined): Entitlements[] {
  return requirement ? [requirement.allOf ?? {}, requirement.anyOf ?? {}] : [];
}

/**
 * A realm with the trusted issuer's clients and every role the routes name, for the built-in issuer:
 * roles naming a path parameter (`model:{modelId}:invoke`) are left out, as no fixed user can hold them
 * for every value (mint a token with the concrete role instead).
 */
export function realmForIssuer(
  issuer: KeycloakIssuerConfig,
  config: Pick<AuthorizerConfig, 'routes'>,
): KeycloakRealmConfig {
  const clients = issuer.allowedClients ?? [];
  const people = clients[0] ?? 'local-web';
  const apiClient = issuer.roleClients?.[0] ?? issuer.allowedAudiences?.[0] ?? 'local-api';
  const realmRoles = new Set<string>();
  const clientRoles = new Set<string>();
  for (const e of config.routes.flatMap((r) => entitlements(r.requirement))) {
    for (const role of e.realmRoles ?? []) if (!role.includes('{')) realmRoles.add(role);
    for (const role of e.clientRoles ?? []) {
      const [client, name] = [role.slice(0, role.indexOf(':')), role.slice(role.indexOf(':') + 1)];
      if (client === apiClient && !name.includes('{')) clientRoles.add(name);
    }
  }
  return {
    issuer: issuer.issuer,
    apiClientId: apiClient,
    peopleClientId: people,
    ...(issuer.allowedAudiences?.[0] ? { audience: issuer.allowedAudiences[0] } : {}),
    testUsers: [
      { username: GRANTED_USER, realmRoles: [...realmRoles] },
      { username: PLAIN_USER, realmRoles: [] },
    ],
    serviceAccounts: clients.slice(1).map((clientId) => ({ clientId, clientRoles: [...clientRoles] })),
    ...(issuer.algorithms ? { algorithms: [...issuer.algorithms] } : {}),
  };
}

/** The config with the deployed issuer URL replaced by the local one wherever it appears. */
export function withLocalIssuer(config: AuthorizerConfig, deployed: string, local: string): AuthorizerConfig {
  const replace = (value: unknown): unknown => {
    if (typeof value === 'string') return value === deployed ? local : value;
    if (Array.isArray(value)) return value.map(replace);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v)]));
    }
    return value;
  };
  const out = replace(config) as AuthorizerConfig;
  return {
    ...out,
    issuers: out.issuers.map((i) => {
      if (i.kind !== 'keycloak' || i.issuer !== local) return i;
      // The local realm serves its keys at Keycloak's own path; a development Keycloak speaks http.
      const rest: KeycloakIssuerConfig = { ...i };
      delete (rest as { jwksUri?: string }).jwksUri;
      return local.startsWith('http:') ? { ...rest, [INSECURE_HTTP_ISSUER]: true } : rest;
    }),
  };
}
