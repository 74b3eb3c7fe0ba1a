/**
 * The entitlements of a Cognito access token, normalized: groups from `cognito:groups`, scopes from
 * `scope`, and the Keycloak roles the pre-token-generation trigger copied into the `keygate_roles` claim.
 * Bundled into the authorizer's cognito module (`cognito.js`, deferred: lib/internal/lambda-entries.ts),
 * which only a configuration trusting a Cognito user pool loads; claims-to-principal.ts calls it for a
 * Cognito token and keeps the result in its profile cache.
 */
import { COGNITO_ROLES_CLAIM } from '../../common/identity-context';
import type { Claims } from './claim-values';
import {
  CLIENT_ROLE,
  dedupe,
  isObject,
  Malformed,
  safe,
  scopes,
  splitSpaces,
  stringList,
  UNSAFE_CLIENT,
  UNSAFE_GROUP,
  UNSAFE_ROLE,
} from './claim-values';
import type { EntitlementProfile } from './types';

/** The entitlement lists of a Cognito token's claims, or what is malformed about them. */
export type CognitoEntitlements = Omit<EntitlementProfile, 'answers'>;

/**
 * The token's entitlements, or the problem of a malformed claim as a string: this module has its own copy
 * of Malformed, so the caller rethrows its own.
 * @param roleClients clients whose roles count; undefined for every client
 */
export function cognitoEntitlements(
  c: Claims,
  roleClients: ReadonlySet<string> | undefined,
): CognitoEntitlements | string {
  try {
    const roles = cognitoRoles(c, roleClients);
    return {
      realmRoles: roles.realm,
      clientRoles: roles.client,
      scopes: scopes(c),
      groups: dedupe(stringList(c, 'cognito:groups', 'cognito:groups').filter((g) => safe(g, UNSAFE_GROUP))),
    };
  } catch (e) {
    if (e instanceof Malformed) return e.message;
    throw e;
  }
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
