/**
 * Upstream identity providers the realm brokers to (OpenID Connect, e.g. Microsoft Entra ID, and SAML),
 * with mappers that turn upstream groups into Keycloak roles, so the route requirements hold for brokered
 * users exactly as for local ones. Output plugs into `buildRealm(stage, { identityProviders,
 * identityProviderMappers })`.
 *
 * Mapper types are Keycloak's built-ins:
 * - `oidc-advanced-role-idp-mapper` (config `claims` = JSON `[{key, value}]`, `are.claim.values.regex`, `role`);
 * - `saml-advanced-role-idp-mapper` (config `attributes` = JSON `[{key, value}]`, `are.attribute.values.regex`, `role`).
 * A client role is written `<clientId>.<role>` in a mapper's `role`, as Keycloak's role picker stores it.
 * https://www.keycloak.org/docs/latest/server_admin/#_mappers
 *
 * Upstream client secrets never appear in the JSON: they are a vault reference (`${vault.<key>}`, resolved
 * by Keycloak at run time — https://www.keycloak.org/server/vault) or an environment placeholder
 * (`${NAME}`, substituted when Keycloak imports the realm at start-up —
 * https://www.keycloak.org/server/importExport).
 */
import type {
  IdentityProviderMapperRepresentation,
  IdentityProviderRepresentation,
  RealmRepresentation,
} from './keycloak-types';

/** A reference to an upstream client secret; plain values are not accepted. */
export class UpstreamSecret {
  /** A Keycloak vault entry, resolved at run time: `${vault.<key>}`. */
  static vault(key: string): UpstreamSecret {
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(key))
      throw new Error(`UpstreamSecret.vault: key '${key}' must be 1-128 of A-Z a-z 0-9 _ . -`);
    return new UpstreamSecret(`\${vault.${key}}`);
  }

  /** An environment variable substituted when Keycloak imports the realm at start-up: `${NAME}`. */
  static environment(name: string): UpstreamSecret {
    if (!/^[A-Z_][A-Z0-9_]{0,127}$/.test(name)) {
      throw new Error(
        `UpstreamSecret.environment: '${name}' must be an upper-case environment variable name`,
      );
    }
    return new UpstreamSecret(`\${${name}}`);
  }

  private constructor(readonly placeholder: string) {}
}

/** One upstream group (or claim / attribute value) granting one Keycloak role. */
export interface GroupRoleMapping {
  /** The upstream value, e.g. an Entra ID group object id or a SAML group name. */
  readonly upstream: string;
  /** A realm role, e.g. `model-user`. Exactly one of realmRole / clientRole. */
  readonly realmRole?: string;
  /** A client role written `client:role` as in route requirements, e.g. `keygate-api:model-user`. */
  readonly clientRole?: string;
}

/** When mappers run: FORCE on every broker login (group changes upstream take effect), IMPORT once. */
export type SyncMode = 'FORCE' | 'IMPORT' | 'LEGACY';

export interface OidcProviderOptions {
  /** Keycloak alias (the broker URL segment), e.g. `entra`. */
  readonly alias: string;
  readonly displayName?: string;
  readonly issuer: string;
  readonly authorizationUrl: string;
  readonly tokenUrl: string;
  readonly jwksUrl: string;
  readonly logoutUrl?: string;
  readonly userInfoUrl?: string;
  readonly clientId: string;
  readonly clientSecret: UpstreamSecret;
  /** @default ['openid', 'profile', 'email'] */
  readonly scopes?: readonly string[];
  /** Claim carrying the upstream groups. @default 'groups' */
  readonly groupsClaim?: string;
  readonly groupRoles: readonly GroupRoleMapping[];
  /** @default 'FORCE' */
  readonly syncMode?: SyncMode;
}

export interface SamlProviderOptions {
  readonly alias: string;
  readonly displayName?: string;
  /** The upstream IdP's entity id. */
  readonly idpEntityId: string;
  readonly singleSignOnServiceUrl: string;
  readonly singleLogoutServiceUrl?: string;
  /** The IdP's signing certificate (base64 DER or PEM): assertions must be signed with it. */
  readonly signingCertificate: string;
  /** Attribute carrying the groups. @default 'groups' */
  readonly groupsAttribute?: string;
  /** @default 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' */
  readonly nameIdFormat?: string;
  readonly groupRoles: readonly GroupRoleMapping[];
  /** @default 'FORCE' */
  readonly syncMode?: SyncMode;
}

export interface EntraIdOptions {
  /** Directory (tenant) id, a GUID. */
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: UpstreamSecret;
  /** Group object ids (GUIDs, as Entra ID puts them into the `groups` claim) mapped to roles. */
  readonly groupRoles: readonly GroupRoleMapping[];
  /** @default 'entra' */
  readonly alias?: string;
  /** @default 'Microsoft Entra ID' */
  readonly displayName?: string;
}

/** A brokered provider: the representation and its mappers. */
export interface BrokeredProvider {
  readonly provider: IdentityProviderRepresentation;
  readonly mappers: readonly IdentityProviderMapperRepresentation[];
}

const ALIAS = /^[A-Za-z0-9._-]{1,255}$/;
const ROLE = /^[A-Za-z0-9._:{}@-]{1,255}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function httpsUrl(value: string, at: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new Error(`${at} must be an https URL`);
  }
  if (u.protocol !== 'https:' || u.username || u.password) throw new Error(`${at} must be an https URL`);
  return value;
}

function checkAlias(alias: string, at: string): void {
  if (!ALIAS.test(alias)) throw new Error(`${at}.alias must be 1-255 of A-Z a-z 0-9 . _ -`);
}

function mapperRole(m: GroupRoleMapping, at: string): string {
  if ((m.realmRole === undefined) === (m.clientRole === undefined)) {
    throw new Error(`${at}: give exactly one of realmRole or clientRole`);
  }
  if (typeof m.upstream !== 'string' || m.upstream.length === 0 || m.upstream.length > 1024) {
    throw new Error(`${at}.upstream must be a non-empty string`);
  }
  if (m.realmRole !== undefined) {
    if (!ROLE.test(m.realmRole) || m.realmRole.includes('{'))
      throw new Error(`${at}.realmRole '${m.realmRole}' is not a concrete role name`);
    return m.realmRole;
  }
  const i = m.clientRole!.indexOf(':');
  if (i <= 0 || i === m.clientRole!.length - 1 || m.clientRole!.includes('{')) {
    throw new Error(`${at}.clientRole '${m.clientRole}' must be a concrete client:role`);
  }
  // Keycloak stores a client role reference as `<clientId>.<role>`.
  return `${m.clientRole!.slice(0, i)}.${m.clientRole!.slice(i + 1)}`;
}

function roleMappers(
  alias: string,
  kind: 'oidc' | 'saml',
  key: string,
  mappings: readonly GroupRoleMapping[],
  syncMode: SyncMode,
  at: string,
): IdentityProviderMapperRepresentation[] {
  if (mappings.length === 0)
    throw new Error(`${at}.groupRoles must map at least one upstream group to a role`);
  const names = new Set<string>();
  return mappings.map((m, i) => {
    const role = mapperRole(m, `${at}.groupRoles[${i}]`);
    const name = `${alias}: ${m.upstream} -> ${role}`.slice(0, 255);
    if (names.has(name)) throw new Error(`${at}.groupRoles[${i}] repeats ${m.upstream} -> ${role}`);
    names.add(name);
    const match = JSON.stringify([{ key, value: m.upstream }]);
    return {
      name,
      identityProviderAlias: alias,
      identityProviderMapper:
        kind === 'oidc' ? 'oidc-advanced-role-idp-mapper' : 'saml-advanced-role-idp-mapper',
      config:
        kind === 'oidc'
          ? { syncMode, claims: match, 'are.claim.values.regex': 'false', role }
          : { syncMode, attributes: match, 'are.attribute.values.regex': 'false', role },
    };
  });
}

/** A generic OpenID Connect upstream provider with group-to-role mappers. */
export function oidcIdentityProvider(o: OidcProviderOptions): BrokeredProvider {
  const at = `identityProvider '${o.alias}'`;
  checkAlias(o.alias, at);
  if (!(o.clientSecret instanceof UpstreamSecret)) {
    throw new Error(
      `${at}.clientSecret must be an UpstreamSecret (vault or environment reference), never a plain value`,
    );
  }
  if (!o.clientId) throw new Error(`${at}.clientId must be set`);
  const scopes = o.scopes ?? ['openid', 'profile', 'email'];
  if (!scopes.includes('openid')) throw new Error(`${at}.scopes must include 'openid'`);
  const syncMode = o.syncMode ?? 'FORCE';
  const config: Record<string, string> = {
    issuer: httpsUrl(o.issuer, `${at}.issuer`),
    authorizationUrl: httpsUrl(o.authorizationUrl, `${at}.authorizationUrl`),
    tokenUrl: httpsUrl(o.tokenUrl, `${at}.tokenUrl`),
    jwksUrl: httpsUrl(o.jwksUrl, `${at}.jwksUrl`),
    useJwksUrl: 'true',
    validateSignature: 'true',
    clientId: o.clientId,
    clientSecret: o.clientSecret.placeholder,
    clientAuthMethod: 'client_secret_post',
    defaultScope: scopes.join(' '),
    pkceEnabled: 'true',
    pkceMethod: 'S256',
    syncMode,
  };
  if (o.logoutUrl) config.logoutUrl = httpsUrl(o.logoutUrl, `${at}.logoutUrl`);
  if (o.userInfoUrl) config.userInfoUrl = httpsUrl(o.userInfoUrl, `${at}.userInfoUrl`);
  return {
    provider: {
      alias: o.alias,
      displayName: o.displayName ?? o.alias,
      providerId: 'oidc',
      enabled: true,
      trustEmail: false,
      storeToken: false,
      firstBrokerLoginFlowAlias: 'first broker login',
      config,
    },
    mappers: roleMappers(o.alias, 'oidc', o.groupsClaim ?? 'groups', o.groupRoles, syncMode, at),
  };
}

/**
 * Microsoft Entra ID (v2.0 endpoints of one tenant). Entra ID emits group object ids in the `groups` claim
 * when the app registration's "groups claim" is on; map those ids to roles.
 * https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc
 */
export function entraIdProvider(o: EntraIdOptions): BrokeredProvider {
  if (!GUID.test(o.tenantId))
    throw new Error(`entraIdProvider: tenantId '${o.tenantId}' must be a directory (tenant) GUID`);
  o.groupRoles.forEach((m, i) => {
    if (!GUID.test(m.upstream)) {
      throw new Error(
        `entraIdProvider: groupRoles[${i}].upstream '${m.upstream}' must be a group object id (GUID)`,
      );
    }
  });
  const base = `https://login.microsoftonline.com/${o.tenantId.toLowerCase()}`;
  return oidcIdentityProvider({
    alias: o.alias ?? 'entra',
    displayName: o.displayName ?? 'Microsoft Entra ID',
    issuer: `${base}/v2.0`,
    authorizationUrl: `${base}/oauth2/v2.0/authorize`,
    tokenUrl: `${base}/oauth2/v2.0/token`,
    jwksUrl: `${base}/discovery/v2.0/keys`,
    logoutUrl: `${base}/oauth2/v2.0/logout`,
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    groupsClaim: 'groups',
    groupRoles: o.groupRoles,
  });
}

/** A SAML 2.0 upstream provider: signed assertions required, group attribute to roles. */
export function samlIdentityProvider(o: SamlProviderOptions): BrokeredProvider {
  const at = `identityProvider '${o.alias}'`;
  checkAlias(o.alias, at);
  const cert = o.signingCertificate.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]{64,}={0,2}$/.test(cert))
    throw new Error(`${at}.signingCertificate must be a base64 or PEM certificate`);
  if (!o.idpEntityId) throw new Error(`${at}.idpEntityId must be set`);
  const syncMode = o.syncMode ?? 'FORCE';
  const config: Record<string, string> = {
    idpEntityId: o.idpEntityId,
    singleSignOnServiceUrl: httpsUrl(o.singleSignOnServiceUrl, `${at}.singleSignOnServiceUrl`),
    nameIDPolicyFormat: o.nameIdFormat ?? 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    principalType: 'SUBJECT',
    postBindingResponse: 'true',
    postBindingAuthnRequest: 'true',
    validateSignature: 'true',
    signingCertificate: cert,
    wantAssertionsSigned: 'true',
    syncMode,
  };
  if (o.singleLogoutServiceUrl)
    config.singleLogoutServiceUrl = httpsUrl(o.singleLogoutServiceUrl, `${at}.singleLogoutServiceUrl`);
  return {
    provider: {
      alias: o.alias,
      displayName: o.displayName ?? o.alias,
      providerId: 'saml',
      enabled: true,
      trustEmail: false,
      storeToken: false,
      firstBrokerLoginFlowAlias: 'first broker login',
      config,
    },
    mappers: roleMappers(o.alias, 'saml', o.groupsAttribute ?? 'groups', o.groupRoles, syncMode, at),
  };
}

/** The `buildRealm` options for these providers; aliases must be unique. */
export function brokeringOptions(providers: readonly BrokeredProvider[]): {
  identityProviders: IdentityProviderRepresentation[];
  identityProviderMappers: IdentityProviderMapperRepresentation[];
} {
  const aliases = new Set<string>();
  for (const p of providers) {
    if (aliases.has(p.provider.alias!))
      throw new Error(`identity provider alias '${p.provider.alias}' is used twice`);
    aliases.add(p.provider.alias!);
  }
  return {
    identityProviders: providers.map((p) => p.provider),
    identityProviderMappers: providers.flatMap((p) => [...p.mappers]),
  };
}

/**
 * Roles the mappers grant that the realm does not define (Keycloak would refuse or ignore them): each
 * message names the mapper. Empty when every mapped role exists.
 */
export function unknownMappedRoles(realm: RealmRepresentation): string[] {
  const realmRoles = new Set((realm.roles?.realm ?? []).map((r) => r.name));
  const clientRoles = new Set(
    Object.entries(realm.roles?.client ?? {}).flatMap(([client, roles]) =>
      roles.map((r) => `${client}.${r.name}`),
    ),
  );
  const errors: string[] = [];
  for (const m of realm.identityProviderMappers ?? []) {
    const role = m.config?.role as string | undefined;
    if (!role) continue;
    const known = role.includes('.') ? clientRoles.has(role) || realmRoles.has(role) : realmRoles.has(role);
    if (!known)
      errors.push(
        `identity provider mapper '${m.name}' grants role '${role}', which the realm does not define`,
      );
  }
  return errors;
}

/** Asserts that a value holds no upstream secret in plain text: every clientSecret is a placeholder. */
export function plainSecrets(realm: RealmRepresentation): string[] {
  return (realm.identityProviders ?? [])
    .filter(
      (p) =>
        typeof p.config?.clientSecret === 'string' && !/^\$\{[^}]+\}$/.test(p.config.clientSecret as string),
    )
    .map((p) => `identity provider '${p.alias}' has a plain-text clientSecret`);
}
