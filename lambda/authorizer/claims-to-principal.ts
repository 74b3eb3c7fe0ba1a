/**
 * Turns verified claims into the normalized principal the route requirements are checked against.
 *
 * Keycloak: realm roles from `realm_access.roles`, client roles from `resource_access.<client>.roles`
 * (written `client:role`), scopes from the space-separated `scope`, groups from `groups`.
 * Client roles count only for the issuer's `roleClients` (every client when it has none and is the only
 * trusted issuer): with several trusted realms, another realm's administrators can create a client of
 * the same name as the API's, and its roles must not pass for the API client's.
 * The principal carries the verified issuer; requirements scoped to issuers check it.
 * Cognito: groups from `cognito:groups`, scopes from `scope`, the app client from `client_id`, and the
 * Keycloak roles the pre-token-generation trigger copied into the `keygate_roles` claim.
 *
 * Wrongly shaped claims (a roles claim that is not a list of strings, ...) reject the token with
 * `claims_malformed`: the issuer is misconfigured and guessing could grant too much.
 * Individual entries that are unsafe — containing `*`, `?`, whitespace or control characters, `/` (except
 * in group paths such as Keycloak's `/team/ml`), or longer than 255 characters — are DROPPED, not
 * rejected: an entitlement can only grant, so dropping one can only narrow access, and one oddly named
 * role in the realm does not lock its holders out of everything. Route requirements cannot name such
 * entries either (no whitespace; a bound parameter value never contains `/`, `*` or `?`), so a dropped entry
 * could never have matched a bindable requirement nor reached a policy resource.
 */
import type { IssuerConfig } from '../../common/authorizer-config';
import { acrLoaMapOf } from '../../common/authorizer-config';
import type { Assurance } from '../../common/step-up';
import { assuranceOf } from '../../common/step-up';
import { COGNITO_ROLES_CLAIM } from '../../common/identity-context';
import type { TokenKind } from '../../common/identity-context';
import type { Claims } from './claim-values';
import {
  dedupe,
  isObject,
  Malformed,
  optionalObject,
  optionalString,
  safe,
  scopes,
  stringList,
  UNSAFE_CLIENT,
  UNSAFE_GROUP,
  UNSAFE_ROLE,
} from './claim-values';
import { cognitoEntitlements } from './cognito-claims';
import type { EntitlementProfile, VerifiedPrincipal } from './types';
import { confirmationOf } from '../../common/token-binding';

export type PrincipalResult =
  | { readonly ok: true; readonly principal: VerifiedPrincipal }
  | { readonly ok: false; readonly reason: 'claims_malformed'; readonly detail: string };

/** Keycloak's prefix for the user behind a client's service account (ServiceAccountConstants). */
export const SERVICE_ACCOUNT_PREFIX = 'service-account-';

/**
 * @param roleClients clients whose roles count (TrustedIssuer.roleClients); undefined for every client.
 *   @default - the issuer's roleClients, else every client
 */
export function claimsToPrincipal(
  claims: Claims,
  issuer: IssuerConfig,
  issuerUrl: string,
  roleClients: ReadonlySet<string> | undefined = issuer.roleClients && new Set(issuer.roleClients),
): PrincipalResult {
  try {
    const scope = { url: issuerUrl, roleClients };
    // The sign-in facts step-up requirements read (common/step-up.ts); wrongly typed ones meet nothing.
    const assurance = assuranceOf(claims, acrLoaMapOf(issuer));
    const principal =
      issuer.kind === 'keycloak' ? keycloak(claims, scope, assurance) : cognito(claims, scope, assurance);
    return { ok: true, principal: withConfirmation(principal, claims) };
  } catch (err) {
    if (err instanceof Malformed) return { ok: false, reason: 'claims_malformed', detail: err.message };
    throw err;
  }
}

/**
 * The profile cache (docs/authorizer.md, "Caches"): profiles by their claims, bounded. Many tokens carry
 * the same entitlement claims (a role profile, a service account), so they share one profile object, and
 * what depends only on the entitlements (route decisions, grants, policies, context lists: authorize.ts)
 * is worked out once per profile instead of once per token and kept in the profile's own `answers`.
 */
const profiles = new Map<string, EntitlementProfile>();
const MAX_PROFILES = 1024;

/**
 * The profile for these entitlement claims, normalized on first sight. The key is exact: the claims as one
 * JSON object (lossless for values JSON.parse produced; an absent claim is left out, so it differs from a
 * `null` one), after the issuer, separated by U+0001, which JSON text never contains unescaped. One
 * JSON.stringify per token. A claim set that does not normalize (Malformed) is not kept.
 */
function profileOf(
  kind: string,
  scope: IssuerScope,
  claims: Readonly<Record<string, unknown>>,
  normalize: () => EntitlementProfile,
) {
  // The issuer and its role clients are part of the key: the same claims from another issuer are another
  // profile (memoized decisions and grants depend on the issuer too).
  const key = `${kind}\u0001${scope.url}\u0001${scope.roleClients ? JSON.stringify([...scope.roleClients]) : '*'}\u0001${JSON.stringify(claims)}`;
  let profile = profiles.get(key);
  if (profile === undefined) {
    // Shared by every principal of this profile: frozen, so no holder can change another's entitlements.
    // Its answers (authorize.ts) are kept in a holder of its own, which lives and goes with the entry.
    const p = normalize();
    const entitlements = {
      realmRoles: Object.freeze(p.realmRoles),
      clientRoles: Object.freeze(p.clientRoles),
      scopes: Object.freeze(p.scopes),
      groups: Object.freeze(p.groups),
    };
    profile = Object.freeze(Object.defineProperty(entitlements, 'answers', { value: {}, enumerable: false }));
    if (profiles.size >= MAX_PROFILES) profiles.clear();
    profiles.set(key, profile);
  }
  return profile;
}

/** The verified issuer and whose client roles count for it. */
interface IssuerScope {
  readonly url: string;
  readonly roleClients: ReadonlySet<string> | undefined;
}

function keycloakProfile(c: Claims, roleClients: ReadonlySet<string> | undefined): EntitlementProfile {
  const realmAccess = optionalObject(c, 'realm_access');
  const realmRoles = realmAccess ? stringList(realmAccess, 'roles', 'realm_access.roles') : [];
  const clientRoles: string[] = [];
  const resourceAccess = optionalObject(c, 'resource_access');
  if (resourceAccess) {
    for (const [client, access] of Object.entries(resourceAccess)) {
      if (!isObject(access)) throw new Malformed('resource_access entry is not an object');
      const roles = stringList(access, 'roles', 'resource_access.<client>.roles');
      if (!safe(client, UNSAFE_CLIENT) || (roleClients !== undefined && !roleClients.has(client))) continue;
      for (const role of roles) if (safe(role, UNSAFE_ROLE)) clientRoles.push(`${client}:${role}`);
    }
  }
  return {
    realmRoles: dedupe(realmRoles.filter((r) => safe(r, UNSAFE_ROLE))),
    clientRoles: dedupe(clientRoles),
    scopes: scopes(c),
    groups: dedupe(stringList(c, 'groups', 'groups').filter((g) => safe(g, UNSAFE_GROUP))),
  };
}

/** The principal's fields, written once per fresh token: one object literal, no spread (a spread costs a
 * microsecond, a sizeable part of what the authorizer adds to a signature check). */
type PrincipalFields = { -readonly [K in keyof VerifiedPrincipal]: VerifiedPrincipal[K] };

function keycloak(c: Claims, scope: IssuerScope, assurance: Assurance | undefined): PrincipalFields {
  const sub = c.sub as string;
  const preferred = optionalString(c, 'preferred_username');
  const azp = optionalString(c, 'azp');
  // Newer Keycloak emits `client_id` on service-account tokens, older versions `clientId`.
  const saClient = optionalString(c, 'client_id') ?? optionalString(c, 'clientId');
  let tokenKind: TokenKind = 'keycloak-user';
  if (preferred?.startsWith(SERVICE_ACCOUNT_PREFIX) && saClient !== undefined) {
    if (azp !== undefined && azp !== saClient) throw new Malformed('client_id differs from azp');
    tokenKind = 'keycloak-service-account';
  }
  const profile = profileOf(
    'keycloak',
    scope,
    { r: c.realm_access, a: c.resource_access, s: c.scope, g: c.groups },
    () => keycloakProfile(c, scope.roleClients),
  );
  return {
    sub,
    username: preferred ?? sub,
    clientId: (tokenKind === 'keycloak-service-account' ? saClient : azp) ?? '',
    issuer: scope.url,
    tokenKind,
    expiresAt: c.exp as number,
    issuedAt: typeof c.iat === 'number' ? c.iat : undefined,
    sessionId: optionalString(c, 'sid'),
    realmRoles: profile.realmRoles,
    clientRoles: profile.clientRoles,
    scopes: profile.scopes,
    groups: profile.groups,
    profile,
    assurance,
  };
}

function cognito(c: Claims, scope: IssuerScope, assurance: Assurance | undefined): PrincipalFields {
  const sub = c.sub as string;
  const claims = { r: c[COGNITO_ROLES_CLAIM], s: c.scope, g: c['cognito:groups'] };
  // Normalized by the Cognito module (cognito-claims.ts), which only a Cognito issuer loads.
  const profile = profileOf('cognito', scope, claims, () => {
    const entitlements = cognitoEntitlements(c, scope.roleClients);
    if (typeof entitlements === 'string') throw new Malformed(entitlements);
    return entitlements;
  });
  return {
    sub,
    username: optionalString(c, 'username') ?? sub,
    clientId: optionalString(c, 'client_id') ?? '',
    issuer: scope.url,
    tokenKind: 'cognito',
    expiresAt: c.exp as number,
    issuedAt: typeof c.iat === 'number' ? c.iat : undefined,
    realmRoles: profile.realmRoles,
    clientRoles: profile.clientRoles,
    scopes: profile.scopes,
    groups: profile.groups,
    profile,
    assurance,
  };
}

/** The token's `cnf` members, set on the principal only when present. */
function withConfirmation(principal: PrincipalFields, c: Claims): VerifiedPrincipal {
  const cnf = confirmationOf(c);
  if (cnf !== undefined) principal.cnf = cnf;
  return principal;
}
