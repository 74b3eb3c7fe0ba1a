/** A Keycloak realm's endpoints, for callers of a stack that trusts a real realm. */
import type { LocalIssuerUrls } from './issuer';

/** Keycloak's endpoints under a realm URL: https://www.keycloak.org/docs/latest/securing_apps/#available-endpoints */
export function keycloakRealmUrls(realmUrl: string): LocalIssuerUrls {
  const oidc = `${realmUrl}/protocol/openid-connect`;
  return {
    discovery: `${realmUrl}/.well-known/openid-configuration`,
    token: `${oidc}/token`,
    certs: `${oidc}/certs`,
    auth: `${oidc}/auth`,
    logout: `${oidc}/logout`,
    userinfo: `${oidc}/userinfo`,
  };
}
