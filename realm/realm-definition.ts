/**
 * The Keycloak realm as code: a RealmRepresentation generated from one stage of the app config and its
 * route table, so the realm holds exactly the roles the authorizer enforces. Pure and side-effect free:
 * the export command, the apply command and the local issuer all start from `buildRealm`.
 *
 * The output is Keycloak's realm import format (`kc.sh import --file`, and the admin console's partial
 * import): a RealmRepresentation with `roles.realm`, `roles.client`, `clients[].protocolMappers` and
 * `users[]` holding `realmRoles` / `clientRoles` (service-account users carry `serviceAccountClientId`).
 * https://www.keycloak.org/server/importExport
 *
 * The realm deliberately has no `clientScopes`: Keycloak creates its built-in client scopes (`roles`,
 * which writes realm_access / resource_access, and `basic`, which writes `sub`) only when an imported
 * realm declares none (RealmManager.importRealm: `if (rep.getClientScopes() == null)
 * createDefaultClientScopes(realm)`; keycloak/keycloak#31082). So the audience mappers sit on the
 * clients themselves, and scopes the routes name are reported, not defined.
 */
import { backchannelLogoutUrl } from '../common/back-channel-logout';
import type { StageConfig } from '../common/app-config';
import type {
  ClientRepresentation,
  IdentityProviderMapperRepresentation,
  IdentityProviderRepresentation,
  ProtocolMapperRepresentation,
  RealmRepresentation,
  RoleRepresentation,
  UserRepresentation,
} from './keycloak-types';
import type { DerivedRole } from './realm-roles';
import { deriveRoles } from './realm-roles';
import { addStepUp, stepUpFlowOf } from './step-up-flow';

export interface BuildRealmOptions {
  /** Add the stage's `keycloak.testUsers`. @default false */
  readonly includeTestUsers?: boolean;
  /**
   * Passwords of test users, by username, supplied at export/apply time (environment or generated),
   * never stored in the repository. A test user without one is created with an UPDATE_PASSWORD action.
   * @default - no passwords
   */
  readonly testUserPasswords?: Readonly<Record<string, string>>;
  /** Let the people client use the resource-owner password grant (direct access grants). @default false */
  readonly directAccessGrants?: boolean;
  /** Values of bound path parameters other than `modelId` (which ranges over `models`). @default {} */
  readonly paramValues?: Readonly<Record<string, readonly string[]>>;
  /**
   * Upstream identity providers the realm brokers to (added as given, after validation of their alias).
   * @default - none
   */
  readonly identityProviders?: readonly IdentityProviderRepresentation[];
  /** Mappers of those identity providers. @default - none */
  readonly identityProviderMappers?: readonly IdentityProviderMapperRepresentation[];
}

/** Claim the Keycloak client used by a Cognito user pool carries the user's roles in (ID token, userinfo). */
export const FEDERATION_ROLES_CLAIM = 'kc_roles';

const OIDC = 'openid-connect';
const CLIENT_ID = /^[A-Za-z0-9._~-]{1,255}$/;
const USERNAME = /^[a-z0-9._@-]{1,255}$/;

/** The realm name of a Keycloak issuer URL (`https://host/realms/<name>`, or `/auth/realms/<name>`). */
export function realmNameFromIssuer(issuer: string): string {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new Error(`keycloak.issuer '${issuer}' is not a URL`);
  }
  const m = /^(?:\/auth)?\/realms\/([^/]+)\/?$/.exec(url.pathname);
  if (!m) throw new Error(`keycloak.issuer '${issuer}' must end with /realms/<realm>`);
  const name = decodeURIComponent(m[1]);
  if (!/^[A-Za-z0-9._-]{1,255}$/.test(name)) {
    throw new Error(`keycloak.issuer: realm name '${name}' may only contain A-Z a-z 0-9 . _ -`);
  }
  return name;
}

/** Keycloak's service-account user name for a client (Keycloak stores user names in lower case). */
export function serviceAccountUsername(clientId: string): string {
  return `service-account-${clientId}`.toLowerCase();
}

/** The Cognito hosted-UI redirect URI a Keycloak client must allow for a user pool domain. */
export function cognitoIdpResponseUrl(domainPrefix: string, region: string): string {
  return `https://${domainPrefix}.auth.${region}.amazoncognito.com/oauth2/idpresponse`;
}

/** Builds the realm for a stage. Throws with the config field named when the stage cannot be expressed. */
export function buildRealm(stage: StageConfig, opts: BuildRealmOptions = {}): RealmRepresentation {
  const kc = stage.keycloak;
  const realmName = realmNameFromIssuer(kc.issuer);
  const derived = deriveRoles(stage, opts.paramValues);
  const audience = kc.audience ?? kc.apiClientId;

  // Client ids must be distinct: one Keycloak client per role in the design.
  const ids = new Map<string, string>();
  const claim = (id: string, field: string) => {
    if (typeof id !== 'string' || !CLIENT_ID.test(id)) {
      throw new Error(`${field} '${String(id)}' must be 1-255 of A-Z a-z 0-9 . _ ~ -`);
    }
    const prev = ids.get(id);
    if (prev) throw new Error(`${field} '${id}' is already used by ${prev}`);
    ids.set(id, field);
  };
  claim(kc.apiClientId, 'keycloak.apiClientId');
  claim(kc.peopleClientId, 'keycloak.peopleClientId');
  (kc.serviceAccounts ?? []).forEach((sa, i) =>
    claim(sa.clientId, `keycloak.serviceAccounts[${i}].clientId`),
  );
  const fed = stage.cognitoFederation;
  if (fed) claim(fed.keycloakClientId, 'cognitoFederation.keycloakClientId');
  const signIn = stage.browserSignIn;
  const ownSignInClient = signIn?.clientId !== undefined && signIn.clientId !== kc.peopleClientId;
  if (ownSignInClient) claim(signIn.clientId!, 'browserSignIn.clientId');

  const realmRoleNames = new Set(derived.realmRoles.map((r) => r.name));
  const apiRoleNames = new Set((derived.clientRoles[kc.apiClientId] ?? []).map((r) => r.name));

  const clients: ClientRepresentation[] = [
    apiClient(kc.apiClientId),
    peopleClient(stage, audience, opts.directAccessGrants ?? false),
    ...(kc.serviceAccounts ?? []).map((sa) => serviceAccountClient(sa.clientId, kc.apiClientId, audience)),
  ];
  if (fed) clients.push(federationClient(stage, fed));
  if (ownSignInClient) clients.push(signInClient(stage, audience));
  // Client roles may name clients besides the API (e.g. another resource server): define those too.
  for (const clientId of Object.keys(derived.clientRoles)) {
    if (!ids.has(clientId)) {
      if (!CLIENT_ID.test(clientId))
        throw new Error(`routes: client '${clientId}' of a client role is not a valid client id`);
      ids.set(clientId, 'routes');
      clients.push(apiClient(clientId));
    }
  }

  const users: UserRepresentation[] = (kc.serviceAccounts ?? []).map((sa, i) => {
    sa.clientRoles.forEach((role, j) => {
      if (!apiRoleNames.has(role)) {
        throw new Error(
          `keycloak.serviceAccounts[${i}].clientRoles[${j}] '${role}' is not a client role of ${kc.apiClientId} ` +
            `that any route requires (known: ${[...apiRoleNames].join(', ') || 'none'})`,
        );
      }
    });
    return {
      username: serviceAccountUsername(sa.clientId),
      enabled: true,
      serviceAccountClientId: sa.clientId,
      realmRoles: [],
      clientRoles: sa.clientRoles.length ? { [kc.apiClientId]: [...sa.clientRoles].sort() } : {},
    };
  });

  if (opts.includeTestUsers) {
    const seen = new Set<string>();
    (kc.testUsers ?? []).forEach((u, i) => {
      const at = `keycloak.testUsers[${i}]`;
      if (typeof u.username !== 'string' || !USERNAME.test(u.username)) {
        throw new Error(
          `${at}.username '${String(u.username)}' must be 1-255 of a-z 0-9 . _ @ - (lower case)`,
        );
      }
      if (seen.has(u.username)) throw new Error(`${at}.username '${u.username}' is listed twice`);
      seen.add(u.username);
      u.realmRoles.forEach((role, j) => {
        if (!realmRoleNames.has(role)) {
          throw new Error(
            `${at}.realmRoles[${j}] '${role}' is not a realm role that any route requires ` +
              `(known: ${[...realmRoleNames].join(', ') || 'none'})`,
          );
        }
      });
      const password = opts.testUserPasswords?.[u.username];
      users.push({
        username: u.username,
        enabled: true,
        // Keycloak's default user profile asks for these at first login; set them so test sign-ins work.
        email: `${u.username}@${realmName}.test`,
        emailVerified: true,
        firstName: u.username,
        lastName: 'Test',
        realmRoles: [...u.realmRoles].sort(),
        ...(password
          ? { credentials: [{ type: 'password', value: password, temporary: false }] }
          : { requiredActions: ['UPDATE_PASSWORD'] }),
      });
    });
  }

  const idps = [...(opts.identityProviders ?? [])];
  idps.forEach((idp, i) => {
    if (!idp.alias || !/^[A-Za-z0-9._-]{1,255}$/.test(idp.alias)) {
      throw new Error(`identityProviders[${i}].alias must be 1-255 of A-Z a-z 0-9 . _ -`);
    }
  });
  (opts.identityProviderMappers ?? []).forEach((m, i) => {
    if (!idps.some((p) => p.alias === m.identityProviderAlias)) {
      throw new Error(
        `identityProviderMappers[${i}].identityProviderAlias '${m.identityProviderAlias}' names no identity provider`,
      );
    }
  });

  const realm: RealmRepresentation = {
    realm: realmName,
    enabled: true,
    sslRequired: 'external',
    registrationAllowed: false,
    roles: {
      realm: derived.realmRoles.map((r) => roleRep(r)),
      client: Object.fromEntries(
        clients
          .filter((c) => derived.clientRoles[c.clientId!]?.length)
          .map((c) => [c.clientId!, derived.clientRoles[c.clientId!].map((r) => roleRep(r, true))]),
      ),
    },
    clients,
    users,
  };
  if (derived.groups.length) {
    realm.groups = topLevelGroups(derived.groups);
  }
  if (idps.length) realm.identityProviders = idps;
  if (opts.identityProviderMappers?.length) realm.identityProviderMappers = [...opts.identityProviderMappers];
  const stepUp = stepUpFlowOf(stage);
  if (stepUp) addStepUp(realm, stepUp, [kc.peopleClientId, ...(ownSignInClient ? [signIn.clientId!] : [])]);
  return realm;
}

function roleRep(role: DerivedRole, clientRole = false): RoleRepresentation {
  return {
    name: role.name,
    description: `Required by ${role.routes.join(', ')}`,
    composite: false,
    clientRole,
  };
}

/** The resource server: holds the client roles, issues no tokens of its own. */
function apiClient(clientId: string): ClientRepresentation {
  return {
    clientId,
    name: clientId,
    description: 'API resource client: holds the client roles the routes require',
    protocol: OIDC,
    enabled: true,
    publicClient: false,
    bearerOnly: false,
    standardFlowEnabled: false,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: false,
    serviceAccountsEnabled: false,
    fullScopeAllowed: false,
    protocolMappers: [],
  };
}

function peopleClient(stage: StageConfig, audience: string, directGrants: boolean): ClientRepresentation {
  const kc = stage.keycloak;
  // Browser sign-in at the gateway with the people client itself: it must allow the gateway's URIs.
  const signsIn =
    stage.browserSignIn !== undefined &&
    (stage.browserSignIn.clientId === undefined || stage.browserSignIn.clientId === kc.peopleClientId);
  const gateway = gatewaySignInUris(stage);
  const redirectUris = [...(kc.redirectUris ?? []), ...(signsIn ? gateway.redirectUris : [])];
  return {
    clientId: kc.peopleClientId,
    name: kc.peopleClientId,
    description: 'People: authorization code flow with PKCE (S256), public client',
    protocol: OIDC,
    enabled: true,
    publicClient: true,
    standardFlowEnabled: true,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: directGrants,
    serviceAccountsEnabled: false,
    redirectUris,
    webOrigins: [...(kc.webOrigins ?? [])],
    attributes: {
      // Keycloak rejects authorization requests without a S256 code challenge for this client.
      'pkce.code.challenge.method': 'S256',
      // '+' = the same URIs as redirectUris (Keycloak client attribute convention).
      // Keycloak reads '+' only as the whole value (a leading '+' discards the rest: keycloak/keycloak,
      // OIDCAdvancedConfigWrapper.getPostLogoutRedirectUris), so with the gateway's logout landing pages
      // the redirect URIs are listed out, '##'-joined as Keycloak stores multivalued client attributes.
      'post.logout.redirect.uris':
        signsIn && gateway.postLogoutUris.length > 0
          ? [...redirectUris, ...gateway.postLogoutUris].join('##')
          : '+',
      ...backchannelLogoutAttributes(stage),
    },
    ...backchannelLogoutSwitch(stage),
    protocolMappers: [audienceMapper(kc.apiClientId, audience)],
  };
}

/**
 * With the stage's `revocation.publicUrl`: Keycloak POSTs a logout token to the API's back-channel logout
 * endpoint when a session of this client ends, naming the session (`backchannel.logout.session.required`:
 * the token carries `sid`). Client attribute names as in Keycloak's admin REST representation
 * (OIDCAdvancedConfigWrapper: backchannel.logout.url, backchannel.logout.session.required).
 */
function backchannelLogoutAttributes(stage: StageConfig): Record<string, string> {
  const url = stage.revocation?.publicUrl;
  if (url === undefined) return {};
  return {
    'backchannel.logout.url': backchannelLogoutUrl(url),
    'backchannel.logout.session.required': 'true',
  };
}

/**
 * Keycloak notifies a client through the front channel (the browser) instead when `frontchannelLogout` is
 * on, which is the default for new clients; the endpoint is a back-channel one.
 */
function backchannelLogoutSwitch(stage: StageConfig): { frontchannelLogout?: boolean } {
  return stage.revocation?.publicUrl !== undefined ? { frontchannelLogout: false } : {};
}

/** The URIs the gateway's sign-in routes use at Keycloak, for each public URL of the stage's APIs. */
function gatewaySignInUris(stage: StageConfig): { redirectUris: string[]; postLogoutUris: string[] } {
  const urls = stage.browserSignIn?.publicUrls ?? [];
  // The callback route of the sign-in function, and the default landing path after logout ('/').
  return {
    redirectUris: urls.map((u) => `${u}/auth/callback`),
    postLogoutUris: urls.map((u) => `${u}/`),
  };
}

/**
 * The client the gateway's sign-in routes use when it is not the people client: confidential when the
 * stage names its secret (Keycloak generates the secret; store it in Secrets Manager), public otherwise.
 */
function signInClient(stage: StageConfig, audience: string): ClientRepresentation {
  const b = stage.browserSignIn!;
  const confidential = b.clientSecretName !== undefined;
  const gateway = gatewaySignInUris(stage);
  return {
    clientId: b.clientId!,
    name: b.clientId!,
    description: `Browser sign-in at the API gateway: authorization code flow with PKCE (S256), ${confidential ? 'confidential' : 'public'} client`,
    protocol: OIDC,
    enabled: true,
    publicClient: !confidential,
    ...(confidential ? { clientAuthenticatorType: 'client-secret' } : {}),
    standardFlowEnabled: true,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: false,
    serviceAccountsEnabled: false,
    redirectUris: gateway.redirectUris,
    // The code exchange happens server side: no browser calls Keycloak's endpoints cross-origin.
    webOrigins: [],
    attributes: {
      'pkce.code.challenge.method': 'S256',
      // Several values of a multivalued client attribute are joined with '##' in Keycloak's representation.
      'post.logout.redirect.uris': gateway.postLogoutUris.join('##'),
      ...backchannelLogoutAttributes(stage),
    },
    ...backchannelLogoutSwitch(stage),
    protocolMappers: [audienceMapper(stage.keycloak.apiClientId, audience)],
  };
}

function serviceAccountClient(clientId: string, apiClientId: string, audience: string): ClientRepresentation {
  return {
    clientId,
    name: clientId,
    description: 'Machine caller: client credentials grant (service account)',
    protocol: OIDC,
    enabled: true,
    publicClient: false,
    clientAuthenticatorType: 'client-secret',
    // No `secret`: Keycloak generates one; read it from the admin console or API, never from the repo.
    standardFlowEnabled: false,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: false,
    serviceAccountsEnabled: true,
    protocolMappers: [audienceMapper(apiClientId, audience)],
  };
}

/** The confidential client a Cognito user pool signs in with, and the flat roles claim Cognito maps. */
function federationClient(
  stage: StageConfig,
  fed: NonNullable<StageConfig['cognitoFederation']>,
): ClientRepresentation {
  const apiClientId = stage.keycloak.apiClientId;
  const claimConfig = {
    'claim.name': FEDERATION_ROLES_CLAIM,
    'jsonType.label': 'String',
    multivalued: 'true',
    'id.token.claim': 'true',
    'access.token.claim': 'false',
    'userinfo.token.claim': 'true',
    'introspection.token.claim': 'false',
  };
  return {
    clientId: fed.keycloakClientId,
    name: fed.keycloakClientId,
    description: 'Amazon Cognito user pool federation (OIDC identity provider of the pool)',
    protocol: OIDC,
    enabled: true,
    publicClient: false,
    clientAuthenticatorType: 'client-secret',
    standardFlowEnabled: true,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: false,
    serviceAccountsEnabled: false,
    redirectUris: [cognitoIdpResponseUrl(fed.domainPrefix, stage.region)],
    webOrigins: [],
    protocolMappers: [
      // Cognito maps only top-level claims to user pool attributes, so the nested realm_access /
      // resource_access shapes are flattened into one list: realm roles as is, API client roles
      // prefixed `client:` (the same `client:role` notation the route requirements use). Keycloak's
      // role mappers add to a list claim another role mapper already wrote (keycloak/keycloak,
      // services/.../oidc/mappers/AbstractUserRoleMappingMapper.java, mapClaim).
      {
        name: 'keygate-realm-roles',
        protocol: OIDC,
        protocolMapper: 'oidc-usermodel-realm-role-mapper',
        config: { ...claimConfig },
      },
      {
        name: 'keygate-api-client-roles',
        protocol: OIDC,
        protocolMapper: 'oidc-usermodel-client-role-mapper',
        config: {
          ...claimConfig,
          'usermodel.clientRoleMapping.clientId': apiClientId,
          'usermodel.clientRoleMapping.rolePrefix': `${apiClientId}:`,
        },
      },
    ],
  };
}

/**
 * Adds the API to `aud` of access tokens (and token introspection), not of ID tokens.
 * https://www.keycloak.org/docs/latest/server_admin/#_audience_hardcoded
 */
export function audienceMapper(apiClientId: string, audience: string): ProtocolMapperRepresentation {
  const target =
    audience === apiClientId
      ? { 'included.client.audience': apiClientId }
      : { 'included.custom.audience': audience };
  return {
    name: 'keygate-api-audience',
    protocol: OIDC,
    protocolMapper: 'oidc-audience-mapper',
    config: {
      ...target,
      'id.token.claim': 'false',
      'access.token.claim': 'true',
      'introspection.token.claim': 'true',
    },
  };
}

function topLevelGroups(paths: readonly string[]): RealmRepresentation['groups'] {
  // Group requirements may be names or full paths (`/parent/child`); build the tree they imply.
  type Node = { name: string; subGroups: Node[] };
  const roots: Node[] = [];
  for (const p of paths) {
    const parts = p.replace(/^\//, '').split('/').filter(Boolean);
    let level = roots;
    for (const name of parts) {
      let node = level.find((n) => n.name === name);
      if (!node) {
        node = { name, subGroups: [] };
        level.push(node);
      }
      level = node.subGroups;
    }
  }
  return roots;
}
