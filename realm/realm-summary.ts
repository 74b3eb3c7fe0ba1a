/**
 * A flat view of a realm definition: who exists and what they hold, in the `client:role` notation the
 * route model uses. For the local issuer and for tests; pure.
 */
import type { StageConfig } from '../common/app-config';
import type { BuildRealmOptions } from './realm-definition';
import { buildRealm, realmNameFromIssuer } from './realm-definition';
import type { RealmRepresentation } from './keycloak-types';

export type RealmClientKind = 'people' | 'service-account' | 'resource' | 'confidential';

export interface RealmClientSummary {
  readonly clientId: string;
  readonly kind: RealmClientKind;
  readonly publicClient: boolean;
  /** PKCE method the client requires (`S256`), if any. */
  readonly pkceMethod?: string;
  readonly redirectUris: readonly string[];
  readonly webOrigins: readonly string[];
  /** Audiences its access tokens carry besides Keycloak's defaults (from audience mappers). */
  readonly audiences: readonly string[];
  /** For service-account clients: the realm roles and `client:role` client roles of the service account. */
  readonly serviceAccountRealmRoles: readonly string[];
  readonly serviceAccountClientRoles: readonly string[];
}

export interface RealmUserSummary {
  readonly username: string;
  readonly realmRoles: readonly string[];
  /** `client:role` */
  readonly clientRoles: readonly string[];
  /** Set for service-account users: the client they belong to. */
  readonly serviceAccountClientId?: string;
}

export interface RealmSummary {
  readonly realm: string;
  readonly realmRoles: readonly string[];
  /** `client:role` */
  readonly clientRoles: readonly string[];
  readonly clients: readonly RealmClientSummary[];
  /** People (service-account users excluded; see `clients[].serviceAccount*`). */
  readonly users: readonly RealmUserSummary[];
}

/** Summarizes a RealmRepresentation (as built by `buildRealm`, or any import file of the same shape). */
export function summarizeRealm(realm: RealmRepresentation): RealmSummary {
  const allUsers = (realm.users ?? []).map((u): RealmUserSummary => ({
    username: u.username ?? '',
    realmRoles: [...(u.realmRoles ?? [])],
    clientRoles: flattenClientRoles(u.clientRoles),
    ...(u.serviceAccountClientId ? { serviceAccountClientId: u.serviceAccountClientId } : {}),
  }));
  const clients = (realm.clients ?? []).map((c): RealmClientSummary => {
    const sa = allUsers.find((u) => u.serviceAccountClientId === c.clientId);
    const audiences = (c.protocolMappers ?? [])
      .filter(
        (m) => m.protocolMapper === 'oidc-audience-mapper' && m.config?.['access.token.claim'] === 'true',
      )
      .map((m) =>
        String(m.config?.['included.custom.audience'] ?? m.config?.['included.client.audience'] ?? ''),
      )
      .filter(Boolean);
    const kind: RealmClientKind = c.serviceAccountsEnabled
      ? 'service-account'
      : c.publicClient
        ? 'people'
        : c.standardFlowEnabled
          ? 'confidential'
          : 'resource';
    const pkce = c.attributes?.['pkce.code.challenge.method'];
    return {
      clientId: c.clientId ?? '',
      kind,
      publicClient: c.publicClient === true,
      ...(typeof pkce === 'string' && pkce ? { pkceMethod: pkce } : {}),
      redirectUris: [...(c.redirectUris ?? [])],
      webOrigins: [...(c.webOrigins ?? [])],
      audiences,
      serviceAccountRealmRoles: sa ? sa.realmRoles : [],
      serviceAccountClientRoles: sa ? sa.clientRoles : [],
    };
  });
  return {
    realm: realm.realm ?? '',
    realmRoles: (realm.roles?.realm ?? []).map((r) => r.name ?? ''),
    clientRoles: Object.entries(realm.roles?.client ?? {}).flatMap(([client, roles]) =>
      roles.map((r) => `${client}:${r.name}`),
    ),
    clients,
    users: allUsers.filter((u) => !u.serviceAccountClientId),
  };
}

/** `buildRealm` then `summarizeRealm`, for a stage. */
export function realmSummary(stage: StageConfig, opts: BuildRealmOptions = {}): RealmSummary {
  return summarizeRealm(buildRealm(stage, opts));
}

/** The realm's issuer for the stage's Keycloak (`<issuer>` as configured). */
export function realmIssuer(stage: StageConfig): { issuer: string; realm: string } {
  return { issuer: stage.keycloak.issuer, realm: realmNameFromIssuer(stage.keycloak.issuer) };
}

function flattenClientRoles(clientRoles: Record<string, unknown> | undefined): string[] {
  const out: string[] = [];
  for (const [client, roles] of Object.entries(clientRoles ?? {})) {
    if (Array.isArray(roles)) for (const r of roles) if (typeof r === 'string') out.push(`${client}:${r}`);
  }
  return out;
}
