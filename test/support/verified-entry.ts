import type { VerifiedEntry } from '../../lambda/authorizer/verified-claims-cache';

/** A verified-claims cache entry for subject `sub`, expiring at `expiresAt` (epoch seconds), with no entitlements. */
export const verifiedEntry = (sub: string, expiresAt = 1000): VerifiedEntry => ({
  principal: {
    sub,
    username: sub,
    clientId: 'web',
    issuer: 'https://sso.example/realms/x',
    tokenKind: 'keycloak-user',
    expiresAt,
    realmRoles: [],
    clientRoles: [],
    scopes: [],
    groups: [],
  },
  facts: { sub },
});
