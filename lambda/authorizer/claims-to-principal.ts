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
import { AuthorizerError } from './errors';
import type { EntitlementProfile, VerifiedPrincipal } from './types';
import { confirmationOf } from '../../common/token-binding';

export type PrincipalResult =
  | { readonly ok: true; readonly principal: VerifiedPrincipal }
  | { readonly ok: false; readonly reason: 'claims_malformed'; readonly detail: string };

/** Keycloak's prefix for the user behind a client's service account (ServiceAccountConstants). */
export const SERVICE_ACCOUNT_PREFIX = 'service-account-';
/** Longest entitlement kept (route requirements accept at most 255 characters). */
export const MAX_ENTITLEMENT_LENGTH = 255;

// eslint-disable-next-line no-control-regex
const UNSAFE_ROLE = /[\s*?/\x00-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const UNSAFE_GROUP = /[\s*?\x00-\x1f\x7f]/;
// A client id containing ':' would make `client:role` ambiguous (`a:b` + `c` vs `a` + `b:c`).
// eslint-disable-next-line no-control-regex
const UNSAFE_CLIENT = /[\s*?/:\x00-\x1f\x7f]/;

/** `client:role` with a non-empty client and role (split at the first `:`). */
const CLIENT_ROLE = /^[^:]+:.+$/;

class Malformed extends AuthorizerError {}

type Claims = Readonly<Record<string, unknown>>;

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
  const profile = profileOf('cognito', scope, claims, () => {
    const roles = cognitoRoles(c, scope.roleClients);
    return {
      realmRoles: roles.realm,
      clientRoles: roles.client,
      scopes: scopes(c),
      groups: dedupe(stringList(c, 'cognito:groups', 'cognito:groups').filter((g) => safe(g, UNSAFE_GROUP))),
    };
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

/**
 * The `keygate_roles` claim the pre-token-generation trigger writes. Accepted shapes:
 * - `["r1", "api:admin"]` (what the trigger writes) or `"r1 api:admin"`: a flat list in which the
 *   identity-provider mapper has already merged realm roles and `client:role` client roles. Every entry
 *   counts as a realm role, and an entry of the form `client:role` also as a client role, so the same
 *   requirements hold for federated tokens (`model:{modelId}:invoke` as a realm role,
 *   `keygate-api:model-user` as a client role). A flat list cannot tell a realm role named `a:b` from
 *   client `a`'s role `b`; the realm that fills it controls both names.
 * - `{ "realm": ["r1"], "clients": { "api": ["admin"] } }`: realm and client roles kept apart.
 */
function cognitoRoles(
  c: Claims,
  roleClients: ReadonlySet<string> | undefined,
): { realm: string[]; client: string[] } {
  const counts = (client: string) => roleClients === undefined || roleClients.has(client);
  const raw = c[COGNITO_ROLES_CLAIM];
  if (raw === undefined) return { realm: [], client: [] };
  if (typeof raw === 'string' || Array.isArray(raw)) {
    const flat =
      typeof raw === 'string' ? splitSpaces(raw) : stringList(c, COGNITO_ROLES_CLAIM, COGNITO_ROLES_CLAIM);
    const realm = dedupe(flat.filter((r) => safe(r, UNSAFE_ROLE)));
    return {
      realm,
      client: realm.filter((r) => CLIENT_ROLE.test(r) && counts(r.slice(0, r.indexOf(':')))),
    };
  }
  if (!isObject(raw)) throw new Malformed(`${COGNITO_ROLES_CLAIM} has the wrong shape`);
  const realm = stringList(raw, 'realm', `${COGNITO_ROLES_CLAIM}.realm`).filter((r) => safe(r, UNSAFE_ROLE));
  const client: string[] = [];
  const clients = raw.clients;
  if (clients !== undefined) {
    if (!isObject(clients)) throw new Malformed(`${COGNITO_ROLES_CLAIM}.clients is not an object`);
    for (const [id, list] of Object.entries(clients)) {
      if (!Array.isArray(list) || !list.every((r) => typeof r === 'string')) {
        throw new Malformed(`${COGNITO_ROLES_CLAIM}.clients entry is not a list of strings`);
      }
      if (!safe(id, UNSAFE_CLIENT) || !counts(id)) continue;
      for (const role of list as string[]) if (safe(role, UNSAFE_ROLE)) client.push(`${id}:${role}`);
    }
  }
  return { realm: dedupe(realm), client: dedupe(client) };
}

function scopes(c: Claims): string[] {
  const s = c.scope;
  if (s === undefined) return [];
  if (typeof s !== 'string') throw new Malformed('scope is not a string');
  return dedupe(splitSpaces(s).filter((x) => safe(x, UNSAFE_ROLE)));
}

function splitSpaces(s: string): string[] {
  return s.split(' ').filter((x) => x.length > 0);
}

function stringList(o: Claims, key: string, name: string): string[] {
  const v = o[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw new Malformed(`${name} is not a list of strings`);
  return v as string[];
}

function optionalObject(o: Claims, key: string): Claims | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!isObject(v)) throw new Malformed(`${key} is not an object`);
  return v;
}

function optionalString(o: Claims, key: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new Malformed(`${key} is not a string`);
  return v;
}

function isObject(v: unknown): v is Claims {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function safe(v: string, unsafe: RegExp): boolean {
  return v.length > 0 && v.length <= MAX_ENTITLEMENT_LENGTH && !unsafe.test(v);
}

/** Short lists without a duplicate, the usual case, are checked in place, without a Set. */
function dedupe(list: string[]): string[] {
  if (list.length > 32) return [...new Set(list)];
  for (let i = 1; i < list.length; i++)
    if (list.lastIndexOf(list[i], i - 1) !== -1) return [...new Set(list)];
  return list;
}

/** The token's `cnf` members, set on the principal only when present. */
function withConfirmation(principal: PrincipalFields, c: Claims): VerifiedPrincipal {
  const cnf = confirmationOf(c);
  if (cnf !== undefined) principal.cnf = cnf;
  return principal;
}
