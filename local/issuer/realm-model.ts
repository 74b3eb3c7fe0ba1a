/**
 * Reads a Keycloak realm (the `RealmRepresentation` that `kc.sh import` takes) into the few facts the
 * local issuer serves: its clients, users, service-account users and the API audience. Also builds such
 * a realm from the app's `keycloak` stage config, for use before a full realm definition exists.
 */
import { createHash, randomBytes } from 'node:crypto';
import type RealmRepresentation from '@keycloak/keycloak-admin-client/lib/defs/realmRepresentation.js';
import type ClientRepresentation from '@keycloak/keycloak-admin-client/lib/defs/clientRepresentation.js';
import type UserRepresentation from '@keycloak/keycloak-admin-client/lib/defs/userRepresentation.js';
import type { KeycloakRealmConfig } from '../../common/app-config';

export type { RealmRepresentation };

/** Keycloak prefixes a client's service-account user with this (ServiceAccountConstants). */
export const SERVICE_ACCOUNT_USER_PREFIX = 'service-account-';

export interface LocalClient {
  readonly clientId: string;
  /** undefined for public clients. */
  readonly secret?: string;
  readonly publicClient: boolean;
  /** Bearer-only clients (an API's resource client) hold roles but get no tokens. */
  readonly bearerOnly: boolean;
  readonly serviceAccountsEnabled: boolean;
  readonly standardFlowEnabled: boolean;
  readonly directAccessGrantsEnabled: boolean;
  readonly redirectUris: readonly string[];
  /** Origins a browser may call the token endpoint from (`+` = the redirect URIs' origins, `*` = any). */
  readonly webOrigins: readonly string[];
  /** From the client attribute `post.logout.redirect.uris` (`##`-separated; `+` = the redirect URIs). */
  readonly postLogoutRedirectUris: readonly string[];
  /**
   * The client has Keycloak's AMR mapper (`oidc-amr-mapper`): its people's tokens carry `amr`, empty for
   * a password grant, which runs no browser-flow authenticator (docs/step-up.md). @default false
   */
  readonly amrClaim?: boolean;
}

export interface LocalUser {
  /** Keycloak user id (`sub`). */
  readonly id: string;
  readonly username: string;
  /** undefined for service-account users (they cannot sign in). */
  readonly password?: string;
  readonly email?: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly realmRoles: readonly string[];
  /** clientId -> role names. */
  readonly clientRoles: Readonly<Record<string, readonly string[]>>;
  /** Group paths, e.g. `/ml/analysts`. */
  readonly groups: readonly string[];
  /** Set for a client's service-account user. */
  readonly serviceAccountClientId?: string;
}

export interface LocalRealm {
  readonly name: string;
  readonly clients: ReadonlyMap<string, LocalClient>;
  /** By username. */
  readonly users: ReadonlyMap<string, LocalUser>;
  /** By user id. */
  readonly usersById: ReadonlyMap<string, LocalUser>;
  /** Service-account users by their client id. */
  readonly serviceAccounts: ReadonlyMap<string, LocalUser>;
  /** Audiences an audience mapper adds to access tokens (first one is the API's). */
  readonly audiences: readonly string[];
  /** Realm roles every user holds (Keycloak's `default-roles-<realm>` composite, flattened). */
  readonly defaultRealmRoles: readonly string[];
}

export interface RealmReadOptions {
  /** Passwords for users, by username; a user without one gets a random password for this run. */
  readonly passwords?: Readonly<Record<string, string>>;
  /** Secrets for confidential clients, by client id; a client without one gets a random secret. */
  readonly clientSecrets?: Readonly<Record<string, string>>;
  /** Overrides the audience found in the realm's audience mappers. */
  readonly audience?: string;
}

/** A random secret for one run: never written anywhere but the caller's memory. */
export function generateSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** Stable UUID-shaped id for a name, so a restarted issuer gives the same `sub` to the same user. */
export function stableId(realm: string, name: string): string {
  const h = createHash('sha256').update(`${realm}\u0000${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && s.length > 0) : [];
}

function clientRolesOf(v: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (typeof v !== 'object' || v === null) return out;
  for (const [client, roles] of Object.entries(v as Record<string, unknown>)) out[client] = stringList(roles);
  return out;
}

/** Audiences added by `oidc-audience-mapper` protocol mappers on clients or client scopes. */
function audienceMappers(realm: RealmRepresentation): string[] {
  const found: string[] = [];
  const mapperLists: unknown[] = [
    ...(realm.clients ?? []).map((c) => c.protocolMappers),
    ...((realm.clientScopes ?? []) as { protocolMappers?: unknown }[]).map((s) => s?.protocolMappers),
  ];
  for (const list of mapperLists) {
    if (!Array.isArray(list)) continue;
    for (const m of list as { protocolMapper?: string; config?: Record<string, unknown> }[]) {
      if (m?.protocolMapper !== 'oidc-audience-mapper') continue;
      if (m.config?.['access.token.claim'] === 'false') continue;
      for (const key of ['included.client.audience', 'included.custom.audience']) {
        const v = m.config?.[key];
        if (typeof v === 'string' && v && !found.includes(v)) found.push(v);
      }
    }
  }
  return found;
}

function readClient(c: ClientRepresentation, secrets: Readonly<Record<string, string>>): LocalClient {
  if (typeof c.clientId !== 'string' || !c.clientId)
    throw new Error('realm.clients[]: every client needs a clientId');
  const publicClient = c.publicClient === true;
  const bearerOnly = c.bearerOnly === true;
  return {
    clientId: c.clientId,
    bearerOnly,
    secret:
      publicClient || bearerOnly
        ? undefined
        : (secrets[c.clientId] ?? (c.secret || undefined) ?? generateSecret()),
    publicClient,
    serviceAccountsEnabled: !publicClient && !bearerOnly && c.serviceAccountsEnabled === true,
    // Keycloak's defaults: standard flow on, direct access grants off.
    standardFlowEnabled: c.standardFlowEnabled !== false && !bearerOnly,
    directAccessGrantsEnabled: !bearerOnly && c.directAccessGrantsEnabled === true,
    redirectUris: stringList(c.redirectUris),
    postLogoutRedirectUris: postLogoutUris(c),
    webOrigins: webOriginsOf(c),
    amrClaim: (c.protocolMappers ?? []).some((m) => m.protocolMapper === 'oidc-amr-mapper'),
  };
}

function webOriginsOf(c: ClientRepresentation): string[] {
  const out = new Set<string>();
  for (const o of stringList(c.webOrigins)) {
    if (o !== '+') out.add(o);
    else {
      for (const uri of stringList(c.redirectUris)) {
        const origin = URL.parse(uri.replace(/\*/g, 'x'))?.origin;
        if (origin && origin !== 'null') out.add(origin);
      }
    }
  }
  return [...out];
}

function postLogoutUris(c: ClientRepresentation): string[] {
  const raw = c.attributes?.['post.logout.redirect.uris'];
  if (typeof raw !== 'string' || raw === '') return [];
  const out: string[] = [];
  for (const uri of raw.split('##')) {
    if (uri === '+') out.push(...stringList(c.redirectUris));
    else if (uri) out.push(uri);
  }
  return [...new Set(out)];
}

function passwordOf(u: UserRepresentation): string | undefined {
  const cred = (u.credentials ?? []).find(
    (c) => c.type === 'password' && typeof c.value === 'string' && c.value,
  );
  return cred?.value;
}

/** Reads a RealmRepresentation. Throws a message naming the field for shapes it cannot serve. */
export function readRealm(realm: RealmRepresentation, options: RealmReadOptions = {}): LocalRealm {
  const name = realm.realm;
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
    throw new Error('realm.realm must be a realm name of letters, digits, . _ -');
  }
  const clients = new Map<string, LocalClient>();
  for (const c of realm.clients ?? []) {
    const client = readClient(c, options.clientSecrets ?? {});
    if (clients.has(client.clientId)) throw new Error(`realm.clients: '${client.clientId}' is listed twice`);
    clients.set(client.clientId, client);
  }
  const users = new Map<string, LocalUser>();
  const usersById = new Map<string, LocalUser>();
  const serviceAccounts = new Map<string, LocalUser>();
  for (const u of realm.users ?? []) {
    const saClient = typeof u.serviceAccountClientId === 'string' ? u.serviceAccountClientId : undefined;
    const username = saClient ? `${SERVICE_ACCOUNT_USER_PREFIX}${saClient}` : u.username;
    if (typeof username !== 'string' || !username)
      throw new Error('realm.users[]: every user needs a username');
    const user: LocalUser = {
      id: u.id ?? stableId(name, username),
      username: username.toLowerCase(),
      password: saClient ? undefined : (options.passwords?.[username] ?? passwordOf(u) ?? generateSecret()),
      email: u.email,
      firstName: u.firstName,
      lastName: u.lastName,
      realmRoles: stringList(u.realmRoles),
      clientRoles: clientRolesOf(u.clientRoles),
      groups: stringList(u.groups).map((g) => (g.startsWith('/') ? g : `/${g}`)),
      serviceAccountClientId: saClient,
    };
    if (users.has(user.username)) throw new Error(`realm.users: '${user.username}' is listed twice`);
    users.set(user.username, user);
    usersById.set(user.id, user);
    if (saClient) serviceAccounts.set(saClient, user);
  }
  // Keycloak creates a service-account user for every client with service accounts enabled.
  for (const client of clients.values()) {
    if (!client.serviceAccountsEnabled || serviceAccounts.has(client.clientId)) continue;
    const username = `${SERVICE_ACCOUNT_USER_PREFIX}${client.clientId}`;
    const user: LocalUser = {
      id: stableId(name, username),
      username,
      realmRoles: [],
      clientRoles: {},
      groups: [],
      serviceAccountClientId: client.clientId,
    };
    users.set(username, user);
    usersById.set(user.id, user);
    serviceAccounts.set(client.clientId, user);
  }
  const audiences = options.audience ? [options.audience] : audienceMappers(realm);
  return {
    name,
    clients,
    users,
    usersById,
    serviceAccounts,
    audiences,
    defaultRealmRoles: [`default-roles-${name.toLowerCase()}`, 'offline_access', 'uma_authorization'],
  };
}

/** The realm name in a Keycloak issuer URL (`.../realms/<name>`). */
export function realmNameOf(issuer: string): string {
  const m = /\/realms\/([^/]+)$/.exec(issuer);
  if (!m) throw new Error(`keycloak.issuer '${issuer}' does not end in /realms/<name>`);
  return decodeURIComponent(m[1]);
}

/**
 * A RealmRepresentation built from the app's `keycloak` stage config: the API client (bearer-only, its
 * client roles), the people client (public, code + PKCE, direct access grants for local test users), one
 * confidential client per service account with its client-role mappings, an audience mapper, and the
 * test users with their realm roles.
 */
export function realmFromStageKeycloak(kc: KeycloakRealmConfig): RealmRepresentation {
  const name = realmNameOf(kc.issuer);
  const audience = kc.audience ?? kc.apiClientId;
  const apiRoles = new Set<string>();
  for (const sa of kc.serviceAccounts ?? []) for (const r of sa.clientRoles) apiRoles.add(r);
  const realmRoles = new Set<string>();
  for (const u of kc.testUsers ?? []) for (const r of u.realmRoles) realmRoles.add(r);
  const audienceMapper = {
    name: `audience-${audience}`,
    protocol: 'openid-connect',
    protocolMapper: 'oidc-audience-mapper',
    config: { 'included.custom.audience': audience, 'access.token.claim': 'true', 'id.token.claim': 'false' },
  };
  return {
    realm: name,
    enabled: true,
    roles: {
      realm: [...realmRoles].map((r) => ({ name: r })),
      client: { [kc.apiClientId]: [...apiRoles].map((r) => ({ name: r })) },
    },
    clients: [
      { clientId: kc.apiClientId, bearerOnly: true, publicClient: false, standardFlowEnabled: false },
      {
        clientId: kc.peopleClientId,
        publicClient: true,
        standardFlowEnabled: true,
        directAccessGrantsEnabled: true,
        redirectUris: [...(kc.redirectUris ?? [])],
        webOrigins: [...(kc.webOrigins ?? [])],
        attributes: { 'pkce.code.challenge.method': 'S256' },
        protocolMappers: [audienceMapper],
      },
      ...(kc.serviceAccounts ?? []).map((sa) => ({
        clientId: sa.clientId,
        publicClient: false,
        serviceAccountsEnabled: true,
        standardFlowEnabled: false,
        protocolMappers: [audienceMapper],
      })),
    ],
    users: [
      ...(kc.testUsers ?? []).map((u) => ({
        id: stableId(name, u.username),
        username: u.username,
        enabled: true,
        email: `${u.username}@example.com`,
        emailVerified: true,
        realmRoles: [...u.realmRoles],
      })),
      ...(kc.serviceAccounts ?? []).map((sa) => ({
        id: stableId(name, `${SERVICE_ACCOUNT_USER_PREFIX}${sa.clientId}`),
        username: `${SERVICE_ACCOUNT_USER_PREFIX}${sa.clientId}`,
        enabled: true,
        serviceAccountClientId: sa.clientId,
        clientRoles: { [kc.apiClientId]: [...sa.clientRoles] },
      })),
    ],
  };
}
