/**
 * Keycloak's access-token claim shapes for a realm user or a client's service account: `typ`, `azp`,
 * `realm_access.roles`, `resource_access.<client>.roles`, `scope`, `sid`, `preferred_username`, optional
 * `groups`, and for service accounts `client_id` (or the older `clientId`), `clientHost`, `clientAddress`
 * (Keycloak's ServiceAccountConstants). Pure functions; the issuer decides when to apply them.
 */
import type { LocalRealm, LocalUser } from './realm-model';

/** How the audience mapper shapes `aud` (Keycloak emits all of these, depending on realm set-up). */
export type AudienceShape = 'api' | 'api-and-account' | 'account' | 'absent';

/** Which service-account client-id claim to emit: `client_id` (Keycloak >= 20) or the older `clientId`. */
export type ClientIdClaim = 'client_id' | 'clientId';

export interface ClaimOptions {
  /** @default 'api-and-account' */
  readonly audienceShape?: AudienceShape;
  /** @default 'client_id' */
  readonly clientIdClaim?: ClientIdClaim;
  /** Emit `groups` (Keycloak's group-membership mapper, full paths). @default true when the user has groups */
  readonly groupsClaim?: boolean;
}

/** Default roles of Keycloak's `account` client that every user holds. */
const ACCOUNT_ROLES = ['manage-account', 'manage-account-links', 'view-profile'];

export interface TokenSubject {
  readonly user: LocalUser;
  /** The client the token is issued to (`azp`). */
  readonly clientId: string;
  /** Space-separated granted scopes. */
  readonly scope: string;
  /** Session id; service-account tokens in recent Keycloak versions have none. */
  readonly sid?: string;
  readonly clientAddress?: string;
}

/** The `aud` value for a shape; undefined means the claim is left out. */
export function audienceFor(realm: LocalRealm, shape: AudienceShape): string | string[] | undefined {
  const api = realm.audiences[0];
  switch (shape) {
    case 'api':
      return api ?? 'account';
    case 'api-and-account':
      return api ? [...realm.audiences, 'account'] : 'account';
    case 'account':
      return 'account';
    case 'absent':
      return undefined;
  }
}

/** The Keycloak claims of an access token, besides iss/sub/aud/exp/iat/jti. */
export function accessTokenClaims(realm: LocalRealm, s: TokenSubject, options: ClaimOptions = {}) {
  const { user } = s;
  const resourceAccess: Record<string, { roles: string[] }> = {};
  for (const [client, roles] of Object.entries(user.clientRoles)) {
    if (roles.length > 0) resourceAccess[client] = { roles: [...roles] };
  }
  resourceAccess.account ??= { roles: [...ACCOUNT_ROLES] };
  // Keycloak's web-origins scope writes the client's web origins, and no claim when it has none.
  const origins = realm.clients.get(s.clientId)?.webOrigins ?? [];
  const claims: Record<string, unknown> = {
    typ: 'Bearer',
    azp: s.clientId,
    acr: '1',
    ...(realm.clients.get(s.clientId)?.amrClaim ? { amr: [] } : {}),
    ...(origins.length > 0 ? { 'allowed-origins': [...origins] } : {}),
    realm_access: { roles: [...new Set([...user.realmRoles, ...realm.defaultRealmRoles])] },
    resource_access: resourceAccess,
    scope: s.scope,
    email_verified: user.serviceAccountClientId ? false : Boolean(user.email),
    preferred_username: user.username,
  };
  if (s.sid) claims.sid = s.sid;
  const groups = options.groupsClaim ?? user.groups.length > 0;
  if (groups) claims.groups = [...user.groups];
  if (user.serviceAccountClientId) {
    claims[options.clientIdClaim ?? 'client_id'] = user.serviceAccountClientId;
    claims.clientHost = s.clientAddress ?? '127.0.0.1';
    claims.clientAddress = s.clientAddress ?? '127.0.0.1';
  } else {
    Object.assign(claims, profileClaims(user));
  }
  return claims;
}

/** Profile and email claims of a person (also in ID tokens and userinfo). */
export function profileClaims(user: LocalUser): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
  if (name) out.name = name;
  if (user.firstName) out.given_name = user.firstName;
  if (user.lastName) out.family_name = user.lastName;
  if (user.email) {
    out.email = user.email;
    out.email_verified = true;
  }
  return out;
}
