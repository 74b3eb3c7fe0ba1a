/**
 * A local Keycloak-compatible OpenID provider: `oidc-provider` serving one realm at Keycloak's paths
 * (`/realms/<realm>/.well-known/openid-configuration`, `/realms/<realm>/protocol/openid-connect/{token,
 * certs,auth,logout,userinfo}`), over HTTPS on loopback with a certificate made at start, issuing RS256
 * JWT access tokens with Keycloak's claim shapes.
 *
 * Grants: client_credentials (confidential clients with service accounts), password (clients with direct
 * access grants; Keycloak's "direct access grants"), authorization_code + PKCE (people client, with a
 * plain login form a test can submit), refresh_token (opaque here: unlike Keycloak's HS512 `typ: Refresh`
 * JWTs, but an API authorizer must refuse both).
 */
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';
import type { Account, GrantHandler, KoaContextWithOIDC, OidcContext, TokenLike } from 'oidc-provider';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import type { JWTPayload, CryptoKey as JoseKey } from 'jose';
import { accessTokenClaims, audienceFor, profileClaims } from './keycloak-claims';
import type { AudienceShape, ClaimOptions, ClientIdClaim } from './keycloak-claims';
import { readRealm, realmFromStageKeycloak } from './realm-model';
import type { LocalRealm, LocalUser, RealmRepresentation } from './realm-model';
import { loopbackCertificate } from './tls';
import { loginPage } from './login-page';
import type { KeycloakRealmConfig } from '../../common/app-config';

export interface LocalIssuerOptions {
  /** A Keycloak realm (as `kc.sh import` takes it), or the app's `keycloak` stage config. */
  readonly realm: RealmRepresentation | KeycloakRealmConfig;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default true */
  readonly https?: boolean;
  /** @default - a self-signed certificate for 127.0.0.1 and localhost, made at start */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** @default 300 */
  readonly accessTokenTtl?: number;
  /** @default 1800 */
  readonly refreshTokenTtl?: number;
  /** Passwords by username; users without one get a random password for this run. */
  readonly passwords?: Readonly<Record<string, string>>;
  /** Secrets by client id; confidential clients without one get a random secret for this run. */
  readonly clientSecrets?: Readonly<Record<string, string>>;
  /** Audience added to access tokens. @default - the realm's audience mappers */
  readonly audience?: string;
  /** @default 'api-and-account' */
  readonly audienceShape?: AudienceShape;
  /** @default 'client_id' */
  readonly clientIdClaim?: ClientIdClaim;
  /** How confidential clients authenticate at the token endpoint. @default 'client_secret_basic' */
  readonly clientAuthMethod?: 'client_secret_basic' | 'client_secret_post';
}

export interface LocalIssuerUrls {
  readonly discovery: string;
  readonly token: string;
  readonly certs: string;
  readonly auth: string;
  readonly logout: string;
  readonly userinfo: string;
}

export interface MintOptions {
  /** Username or service-account client id the claims are made for. */
  readonly username?: string;
  readonly clientId?: string;
  /** Claims merged over the generated ones (set a claim to undefined to drop it). */
  readonly claims?: Record<string, unknown>;
  /** Header fields merged over `{ alg: 'RS256', typ: 'JWT', kid }`. */
  readonly header?: Record<string, unknown>;
  /** Lifetime from now; negative for an already expired token. @default accessTokenTtl */
  readonly expiresIn?: number;
}

export interface LocalIssuer {
  readonly issuer: string;
  readonly realm: LocalRealm;
  readonly urls: LocalIssuerUrls;
  /** PEM certificate to trust for the HTTPS endpoints (undefined over http). */
  readonly ca?: string;
  /** Key id of the signing key. */
  readonly kid: string;
  /** Passwords of the realm's users for this run, by username. */
  readonly passwords: Readonly<Record<string, string>>;
  /** Secrets of confidential clients for this run, by client id. */
  readonly clientSecrets: Readonly<Record<string, string>>;
  /** Signs arbitrary claims with the realm's key (for expired, wrong-typ and other negative cases). */
  mint(options?: MintOptions): Promise<string>;
  close(): Promise<void>;
}

const PROTOCOL = '/protocol/openid-connect';
const KEYCLOAK_SCOPES = ['openid', 'profile', 'email', 'roles', 'web-origins', 'offline_access'];
/** Keycloak's default client scopes: added to every token, whatever the request names. */
const DEFAULT_SCOPE = 'profile email';

function keycloakScope(granted: string | undefined): string {
  return [...new Set([...(granted ?? '').split(' '), ...DEFAULT_SCOPE.split(' ')].filter(Boolean))].join(' ');
}

function isKeycloakStageConfig(r: RealmRepresentation | KeycloakRealmConfig): r is KeycloakRealmConfig {
  return (
    typeof (r as KeycloakRealmConfig).issuer === 'string' &&
    typeof (r as KeycloakRealmConfig).apiClientId === 'string'
  );
}

function sameSecret(a: string, b: string): boolean {
  // Hash first so lengths match and the comparison time says nothing about the secret.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** The settings of one issuer, with their defaults applied once. */
interface IssuerSettings {
  readonly host: string;
  readonly useHttps: boolean;
  readonly accessTokenTtl: number;
  readonly refreshTokenTtl: number;
  readonly audienceShape: AudienceShape;
  readonly claimOptions: ClaimOptions;
  readonly clientIdClaim?: ClientIdClaim;
  readonly clientAuthMethod: 'client_secret_basic' | 'client_secret_post';
}

function issuerSettings(options: LocalIssuerOptions): IssuerSettings {
  const audienceShape = options.audienceShape ?? 'api-and-account';
  return {
    host: options.host ?? '127.0.0.1',
    useHttps: options.https ?? true,
    accessTokenTtl: options.accessTokenTtl ?? 300,
    refreshTokenTtl: options.refreshTokenTtl ?? 1800,
    audienceShape,
    claimOptions: { audienceShape, clientIdClaim: options.clientIdClaim },
    ...(options.clientIdClaim ? { clientIdClaim: options.clientIdClaim } : {}),
    clientAuthMethod: options.clientAuthMethod ?? 'client_secret_basic',
  };
}

/** The realm's keys: Keycloak publishes a signing key and an encryption key; verifiers must never use `enc`. */
interface IssuerKeys {
  readonly signing: { readonly privateKey: JoseKey; readonly publicKey: JoseKey };
  readonly jwks: Record<string, unknown>[];
  readonly kid: string;
}

async function issuerKeys(): Promise<IssuerKeys> {
  const signing = await generateKeyPair('RS256', { extractable: true });
  const encryption = await generateKeyPair('RSA-OAEP', { extractable: true });
  const kid = await calculateJwkThumbprint(await exportJWK(signing.publicKey), 'sha256');
  const encKid = await calculateJwkThumbprint(await exportJWK(encryption.publicKey), 'sha256');
  return {
    signing,
    kid,
    jwks: [
      { ...(await exportJWK(signing.privateKey)), kid, alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(encryption.privateKey)), kid: encKid, alg: 'RSA-OAEP', use: 'enc' },
    ],
  };
}

/** What the provider's hooks, the router and the minter share about one running issuer. */
interface IssuerContext {
  readonly realm: LocalRealm;
  readonly issuer: string;
  readonly mountPath: string;
  readonly urls: LocalIssuerUrls;
  readonly keys: IssuerKeys;
  readonly settings: IssuerSettings;
  /** The one resource server standing for the API: every token's audience comes from the realm's mapper. */
  readonly apiResource: string;
  readonly resourceInfo: {
    readonly scope: string;
    readonly audience: string;
    readonly accessTokenTTL: number;
    readonly accessTokenFormat: 'jwt';
    readonly jwt: { readonly sign: { readonly alg: string; readonly kid: string } };
  };
}

/** A listening server whose requests wait (503) until `route.handler` is set: the provider needs the port. */
async function listen(
  settings: IssuerSettings,
  port: number,
  tls: { readonly key: string; readonly cert: string } | undefined,
  route: { handler?: (req: IncomingMessage, res: ServerResponse) => void },
): Promise<{ base: string; close(): Promise<void> }> {
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    if (route.handler) route.handler(req, res);
    else {
      res.statusCode = 503;
      res.end();
    }
  };
  const server: Server = tls
    ? createHttpsServer({ key: tls.key, cert: tls.cert }, onRequest)
    : createHttpServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, settings.host, () => resolve());
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    base: `${settings.useHttps ? 'https' : 'http'}://${settings.host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

function issuerContext(
  realm: LocalRealm,
  base: string,
  keys: IssuerKeys,
  settings: IssuerSettings,
): IssuerContext {
  const mountPath = `/realms/${encodeURIComponent(realm.name)}`;
  const issuer = `${base}${mountPath}`;
  return {
    realm,
    issuer,
    mountPath,
    urls: {
      discovery: `${issuer}/.well-known/openid-configuration`,
      token: `${issuer}${PROTOCOL}/token`,
      certs: `${issuer}${PROTOCOL}/certs`,
      auth: `${issuer}${PROTOCOL}/auth`,
      logout: `${issuer}${PROTOCOL}/logout`,
      userinfo: `${issuer}${PROTOCOL}/userinfo`,
    },
    keys,
    settings,
    apiResource: `urn:keygate:audience:${realm.audiences[0] ?? 'account'}`,
    resourceInfo: {
      scope: KEYCLOAK_SCOPES.join(' '),
      audience: realm.audiences[0] ?? 'account',
      accessTokenTTL: settings.accessTokenTtl,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: 'RS256', kid: keys.kid } },
    },
  };
}

export async function startLocalIssuer(options: LocalIssuerOptions): Promise<LocalIssuer> {
  const realmRep = isKeycloakStageConfig(options.realm)
    ? realmFromStageKeycloak(options.realm)
    : options.realm;
  const realm = readRealm(realmRep, {
    passwords: options.passwords,
    clientSecrets: options.clientSecrets,
    audience: options.audience,
  });
  const settings = issuerSettings(options);
  const tls = settings.useHttps ? (options.tls ?? (await loopbackCertificate())) : undefined;
  const keys = await issuerKeys();
  const route: { handler?: (req: IncomingMessage, res: ServerResponse) => void } = {};
  const server = await listen(settings, options.port ?? 0, tls, route);
  const ctx = issuerContext(realm, server.base, keys, settings);
  const clients = providerClients(realm, settings.clientAuthMethod);
  const provider: Provider = new Provider(ctx.issuer, providerConfiguration(ctx, clients));
  provider.on('server_error', (_ctx: unknown, err: unknown) => {
    console.error('local issuer: server error', err instanceof Error ? err.message : String(err));
  });
  registerPasswordGrant(provider, realm, ctx.apiResource, ctx.resourceInfo, settings.refreshTokenTtl);
  route.handler = realmRouter(provider, ctx);
  return {
    issuer: ctx.issuer,
    realm,
    urls: ctx.urls,
    ca: tls?.cert,
    kid: keys.kid,
    passwords: Object.fromEntries(
      [...realm.users.values()]
        .filter((u) => u.password !== undefined)
        .map((u) => [u.username, u.password as string]),
    ),
    // Only clients that can obtain tokens: a resource client's secret would be of no use to anyone.
    clientSecrets: Object.fromEntries(
      clients
        .map((c) => realm.clients.get(c.client_id))
        .filter((c) => c?.secret !== undefined)
        .map((c) => [c!.clientId, c!.secret as string]),
    ),
    mint: tokenMinter(ctx),
    close: server.close,
  };
}

/** The realm's clients as oidc-provider registers them: the grants each may use, its redirect URIs. */
function providerClients(realm: LocalRealm, clientAuthMethod: IssuerSettings['clientAuthMethod']) {
  return [...realm.clients.values()]
    .filter((c) => !c.bearerOnly)
    .map((c) => {
      const grantTypes: string[] = [];
      if (c.serviceAccountsEnabled) grantTypes.push('client_credentials');
      if (c.directAccessGrantsEnabled) grantTypes.push('password');
      const codeFlow = c.standardFlowEnabled && c.redirectUris.length > 0;
      if (codeFlow) grantTypes.push('authorization_code');
      if (codeFlow || c.directAccessGrantsEnabled) grantTypes.push('refresh_token');
      return {
        client_id: c.clientId,
        ...(c.publicClient
          ? { token_endpoint_auth_method: 'none' }
          : { client_secret: c.secret, token_endpoint_auth_method: clientAuthMethod }),
        grant_types: grantTypes,
        response_types: codeFlow ? ['code'] : [],
        redirect_uris: codeFlow ? c.redirectUris.map(toConcreteRedirect) : [],
        // RP-initiated logout only redirects to registered URIs (Keycloak: `post.logout.redirect.uris`).
        post_logout_redirect_uris: codeFlow
          ? [...new Set(c.postLogoutRedirectUris.map(toConcreteRedirect))]
          : [],
      };
    })
    .filter((c) => c.grant_types.length > 0);
}

/** oidc-provider's configuration of a Keycloak realm: its paths, scopes, claims, lifetimes and hooks. */
function providerConfiguration(ctx: IssuerContext, clients: ReturnType<typeof providerClients>) {
  const { realm, settings } = ctx;
  return {
    clients,
    jwks: { keys: ctx.keys.jwks },
    routes: {
      authorization: `${PROTOCOL}/auth`,
      token: `${PROTOCOL}/token`,
      jwks: `${PROTOCOL}/certs`,
      end_session: `${PROTOCOL}/logout`,
      introspection: `${PROTOCOL}/token/introspect`,
      revocation: `${PROTOCOL}/revoke`,
      userinfo: `${PROTOCOL}/userinfo`,
    },
    scopes: KEYCLOAK_SCOPES,
    // Keycloak's `profile` and `email` client scopes are defaults: their claims come with `openid` alone.
    claims: {
      openid: [
        'sub',
        'typ',
        'azp',
        'acr',
        // Keycloak's AMR mapper (a client with it: realm-model.ts amrClaim).
        'amr',
        'preferred_username',
        'name',
        'given_name',
        'family_name',
        'email',
        'email_verified',
      ],
      profile: ['preferred_username', 'name', 'given_name', 'family_name'],
      email: ['email', 'email_verified'],
    },
    // Keycloak puts profile claims into ID tokens; oidc-provider's default keeps them for userinfo only.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    ttl: {
      AccessToken: settings.accessTokenTtl,
      ClientCredentials: settings.accessTokenTtl,
      IdToken: settings.accessTokenTtl,
      RefreshToken: settings.refreshTokenTtl,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: settings.refreshTokenTtl,
      Grant: settings.refreshTokenTtl,
    },
    features: providerFeatures(ctx),
    discovery: { userinfo_endpoint: ctx.urls.userinfo },
    issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    ...accountHooks(ctx),
    formats: { customizers: { jwt: keycloakJwtShape(ctx) } },
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) =>
        `${ctx.mountPath}/login-actions/${interaction.uid}`,
    },
    // Keycloak lets a browser call the token endpoint from the client's web origins only.
    clientBasedCORS: (_ctx: unknown, origin: string, client: { clientId: string }) => {
      const allowed = realm.clients.get(client.clientId)?.webOrigins ?? [];
      return allowed.includes('*') || allowed.includes(origin);
    },
    renderError: (koa: KoaContextWithOIDC, out: Record<string, unknown>) => {
      koa.body = out;
    },
  };
}

function providerFeatures(ctx: IssuerContext) {
  return {
    devInteractions: { enabled: false },
    // Lets the `enc` key stay in the JWKS, as in Keycloak's (oidc-provider drops keys it has no use for).
    encryption: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    // Keycloak's userinfo accepts its JWT access tokens; oidc-provider's only opaque ones without an
    // audience, so userinfo is served by realmRouter and the built-in one is off.
    userinfo: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => ctx.apiResource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx: unknown, resource: string) => {
        if (resource !== ctx.apiResource) throw new errors.InvalidTarget();
        return ctx.resourceInfo;
      },
    },
  };
}

/** Who the tokens are about: the realm's users and service accounts, their claims, their grants. */
function accountHooks(ctx: IssuerContext) {
  const { realm } = ctx;
  const userOf = (accountId: string | undefined): LocalUser | undefined =>
    accountId === undefined ? undefined : realm.usersById.get(accountId);
  return {
    findAccount: (koa: KoaContextWithOIDC | undefined, sub: string): Account | undefined => {
      const user = userOf(sub);
      if (!user || user.serviceAccountClientId) return undefined;
      const clientId = koa?.oidc?.client?.clientId;
      return {
        accountId: user.id,
        claims: (use: string) => ({
          sub: user.id,
          // Keycloak's ID tokens carry typ ID, the client as azp and acr (even with a single audience).
          ...(use === 'id_token' ? { typ: 'ID', acr: '1', ...(clientId ? { azp: clientId } : {}) } : {}),
          preferred_username: user.username,
          ...profileClaims(user),
        }),
      };
    },
    // First-party clients get no consent screen (Keycloak's default): the grant covers what is asked.
    loadExistingGrant: async (koa: KoaContextWithOIDC) => {
      const { oidc } = koa;
      const clientId = oidc.client?.clientId;
      const accountId = oidc.session?.accountId;
      if (!clientId || !accountId) return undefined;
      const existingId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(clientId);
      const grant =
        (existingId && (await oidc.provider.Grant.find(existingId))) ||
        new oidc.provider.Grant({ accountId, clientId });
      grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
      grant.addResourceScope(ctx.apiResource, [...oidc.requestParamScopes].join(' '));
      await grant.save();
      return grant;
    },
    extraTokenClaims: (koa: KoaContextWithOIDC | undefined, token: TokenLike) => {
      const user =
        token.kind === 'ClientCredentials'
          ? realm.serviceAccounts.get(token.clientId)
          : userOf(token.accountId);
      if (!user) return undefined;
      return accessTokenClaims(
        realm,
        {
          user,
          clientId: token.clientId,
          scope: keycloakScope(token.scope),
          sid: user.serviceAccountClientId ? undefined : (token.sid ?? token.grantId),
          clientAddress: koa?.req?.socket?.remoteAddress?.replace(/^::ffff:/, ''),
        },
        ctx.settings.claimOptions,
      );
    },
  };
}

/**
 * oidc-provider writes RFC 9068 tokens (`typ: at+jwt`, `client_id`); Keycloak writes `typ: JWT`, a
 * service-account `sub`, `client_id` only on service-account tokens, and its own `aud` shapes.
 */
function keycloakJwtShape(ctx: IssuerContext) {
  const { realm, settings } = ctx;
  return (
    _ctx: unknown,
    token: TokenLike,
    jwt: { header?: Record<string, unknown>; payload: Record<string, unknown> },
  ) => {
    jwt.header = { typ: 'JWT' };
    const sa = token.kind === 'ClientCredentials' ? realm.serviceAccounts.get(token.clientId) : undefined;
    if (sa) jwt.payload.sub = sa.id;
    if (!sa || settings.clientIdClaim === 'clientId') delete jwt.payload.client_id;
    const aud = audienceFor(realm, settings.audienceShape);
    // oidc-provider refuses a JWT access token without `aud`: 'absent' is only available via mint().
    jwt.payload.aud = aud ?? jwt.payload.aud;
    jwt.payload.scope = keycloakScope(token.scope);
  };
}

/** Requests under the realm's path: userinfo and the login form here, everything else to the provider. */
function realmRouter(
  provider: Provider,
  ctx: IssuerContext,
): (req: IncomingMessage, res: ServerResponse) => void {
  const providerCallback = provider.callback();
  const { mountPath, realm } = ctx;
  return (req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith(`${mountPath}/`)) {
      sendJson(res, 404, { error: 'Realm does not exist' });
      return;
    }
    const rest = url.slice(mountPath.length);
    const path = rest.split('?')[0];
    if (path === `${PROTOCOL}/userinfo`) {
      void userinfo(req, res, { issuer: ctx.issuer, publicKey: ctx.keys.signing.publicKey, realm });
      return;
    }
    if (path.startsWith('/login-actions/')) {
      void loginPage(provider, realm, req, res, path.slice('/login-actions/'.length), sameSecret);
      return;
    }
    // Mounted under the realm path: oidc-provider derives its URLs from originalUrl minus url.
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
    req.url = rest;
    providerCallback(req, res);
  };
}

/** Signs arbitrary claims with the realm's key, over Keycloak's claims of a user or service account. */
function tokenMinter(ctx: IssuerContext): (m?: MintOptions) => Promise<string> {
  const { realm, settings, keys } = ctx;
  return async (m = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const user = m.clientId
      ? realm.serviceAccounts.get(m.clientId)
      : realm.users.get((m.username ?? '').toLowerCase());
    const base: Record<string, unknown> = user
      ? accessTokenClaims(
          realm,
          {
            user,
            clientId: m.clientId ?? firstPeopleClient(realm),
            scope: DEFAULT_SCOPE,
            sid: m.clientId ? undefined : randomUUID(),
          },
          settings.claimOptions,
        )
      : { typ: 'Bearer' };
    const aud = audienceFor(realm, settings.audienceShape);
    const payload: Record<string, unknown> = {
      exp: now + (m.expiresIn ?? settings.accessTokenTtl),
      iat: now,
      jti: randomUUID(),
      iss: ctx.issuer,
      ...(aud === undefined ? {} : { aud }),
      sub: user?.id ?? randomUUID(),
      ...base,
      ...m.claims,
    };
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
    return new SignJWT(payload as JWTPayload)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: keys.kid, ...m.header } as { alg: string })
      .sign(keys.signing.privateKey);
  };
}

/** Keycloak allows `*` wildcards in redirect URIs; oidc-provider needs concrete ones. */
function toConcreteRedirect(uri: string): string {
  return uri.endsWith('/*') ? `${uri.slice(0, -2)}/callback` : uri.replace(/\*/g, 'x');
}

function firstPeopleClient(realm: LocalRealm): string {
  for (const c of realm.clients.values()) if (c.publicClient) return c.clientId;
  return [...realm.clients.keys()][0] ?? 'account';
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** Keycloak's userinfo: a valid access token of this realm → the person's claims. */
async function userinfo(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: { issuer: string; publicKey: JoseKey; realm: LocalRealm },
): Promise<void> {
  const auth = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(auth);
  const deny = () =>
    sendJson(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
  if (!m) return deny();
  try {
    const { payload } = await jwtVerify(m[1], ctx.publicKey, {
      issuer: ctx.issuer,
      algorithms: ['RS256'],
      typ: 'JWT',
    });
    if (payload.typ !== 'Bearer' || typeof payload.sub !== 'string') return deny();
    const user = ctx.realm.usersById.get(payload.sub);
    if (!user) return deny();
    sendJson(res, 200, { sub: user.id, preferred_username: user.username, ...profileClaims(user) });
  } catch {
    deny();
  }
}

type OidcWithParams = OidcContext & { params: Record<string, unknown> };

/**
 * Keycloak's "direct access grants" (RFC 6749 resource owner password credentials), for test users only.
 * Built from oidc-provider's public models: a Grant, an AccessToken for the API resource server, and a
 * RefreshToken the built-in refresh_token grant can redeem.
 */
/** The user whose username and password the request carries, or Keycloak's `invalid_grant`. */
function passwordGrantUser(oidc: OidcWithParams, realm: LocalRealm): LocalUser {
  const username = typeof oidc.params.username === 'string' ? oidc.params.username.toLowerCase() : '';
  const password = typeof oidc.params.password === 'string' ? oidc.params.password : '';
  const user = realm.users.get(username);
  // Compare even for unknown users so timing does not reveal which usernames exist.
  const ok = sameSecret(password, user?.password ?? randomUUID()) && user?.password !== undefined;
  if (!user || !ok) throw new errors.InvalidGrant('Invalid user credentials');
  return user;
}

/** Keycloak's ID token of a password grant: typ ID, the client as azp, acr 1, the profile claims. */
function passwordGrantIdToken(
  provider: Provider,
  ctx: Parameters<GrantHandler>[0],
  realm: LocalRealm,
  user: LocalUser,
  clientId: string,
  scope: string,
  sid: string,
): Promise<string> {
  const token = new provider.IdToken(
    {
      sub: user.id,
      typ: 'ID',
      azp: clientId,
      acr: '1',
      ...(realm.clients.get(clientId)?.amrClaim ? { amr: [] } : {}),
      preferred_username: user.username,
      ...profileClaims(user),
    },
    { ctx },
  );
  token.scope = scope;
  token.set('sid', sid);
  return token.issue({ use: 'idtoken' });
}

function registerPasswordGrant(
  provider: Provider,
  realm: LocalRealm,
  apiResource: string,
  resourceInfo: { scope: string; audience: string; accessTokenTTL: number; accessTokenFormat: 'jwt' },
  refreshTokenTtl: number,
): void {
  const offered = new Set(resourceInfo.scope.split(' '));
  provider.registerGrantType(
    'password',
    async (ctx) => {
      const oidc = ctx.oidc as OidcWithParams;
      const client = oidc.client;
      if (!client) throw new errors.InvalidRequest('client authentication required');
      const user = passwordGrantUser(oidc, realm);
      const requested =
        typeof oidc.params.scope === 'string' ? oidc.params.scope.split(' ').filter(Boolean) : [];
      const unknown = requested.filter((s) => !offered.has(s));
      if (unknown.length) throw new errors.InvalidScope('Invalid scopes', unknown.join(' '));
      const scope = keycloakScope(requested.join(' '));
      const grant = new provider.Grant({ accountId: user.id, clientId: client.clientId });
      grant.addOIDCScope(scope);
      grant.addResourceScope(apiResource, scope);
      const grantId = await grant.save();
      const sid = randomUUID();
      const at = new provider.AccessToken({
        accountId: user.id,
        client,
        grantId,
        gty: 'password',
        scope,
        sid,
      });
      at.resourceServer = new provider.ResourceServer(apiResource, resourceInfo);
      ctx.oidc.entity('AccessToken', at);
      const accessToken = await at.save();
      let refreshToken: string | undefined;
      if (client.grantTypeAllowed('refresh_token')) {
        const rt = new provider.RefreshToken({
          accountId: user.id,
          client,
          grantId,
          gty: 'password',
          scope,
          resource: apiResource,
          rotations: 0,
          sid,
        });
        refreshToken = await rt.save();
      }
      const idToken = requested.includes('openid')
        ? await passwordGrantIdToken(provider, ctx, realm, user, client.clientId, scope, sid)
        : undefined;
      ctx.body = {
        access_token: accessToken,
        expires_in: at.expiration,
        refresh_expires_in: refreshToken ? refreshTokenTtl : 0,
        ...(refreshToken ? { refresh_token: refreshToken } : {}),
        token_type: 'Bearer',
        ...(idToken ? { id_token: idToken } : {}),
        'not-before-policy': 0,
        session_state: sid,
        scope,
      };
    },
    ['username', 'password', 'scope'],
  );
}
