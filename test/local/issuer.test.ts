import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTPayload } from 'jose';
import { startLocalIssuer } from '../../local/issuer';
import type { LocalIssuer, RealmRepresentation } from '../../local/issuer';
import { basicAuth, postForm, request } from '../../local/http/request';

/** A small realm as `kc.sh import` takes it: API client, people client, a service account, two users. */
const REALM: RealmRepresentation = {
  realm: 'fixture',
  enabled: true,
  roles: {
    realm: [{ name: 'reader' }, { name: 'writer' }],
    client: { 'fixture-api': [{ name: 'ingest' }] },
  },
  clients: [
    { clientId: 'fixture-api', bearerOnly: true },
    {
      clientId: 'fixture-web',
      publicClient: true,
      standardFlowEnabled: true,
      directAccessGrantsEnabled: true,
      redirectUris: ['http://127.0.0.1:5173/callback'],
      attributes: { 'post.logout.redirect.uris': '+##http://127.0.0.1:5173/signed-out' },
      webOrigins: ['+'],
      protocolMappers: [
        {
          name: 'api-audience',
          protocol: 'openid-connect',
          protocolMapper: 'oidc-audience-mapper',
          config: { 'included.custom.audience': 'fixture-api', 'access.token.claim': 'true' },
        },
      ],
    },
    { clientId: 'ingestor', publicClient: false, serviceAccountsEnabled: true, standardFlowEnabled: false },
  ],
  users: [
    {
      username: 'carol',
      email: 'carol@example.com',
      realmRoles: ['reader', 'writer'],
      groups: ['/ml/analysts'],
    },
    { username: 'dave', realmRoles: ['reader'] },
    {
      username: 'service-account-ingestor',
      serviceAccountClientId: 'ingestor',
      clientRoles: { 'fixture-api': ['ingest'] },
    },
  ],
};

function claimsOf(token: string): JWTPayload & Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

describe('local issuer', () => {
  let issuer: LocalIssuer;
  let jwks: ReturnType<typeof createLocalJWKSet>;

  beforeAll(async () => {
    issuer = await startLocalIssuer({ realm: REALM, passwords: { dave: 'dave-test-password' } });
    const res = await request(issuer.urls.certs, { ca: issuer.ca });
    jwks = createLocalJWKSet(res.json<JSONWebKeySet>());
  });
  afterAll(async () => {
    await issuer?.close();
  });

  const verify = (token: string) =>
    jwtVerify(token, jwks, { issuer: issuer.issuer, algorithms: ['RS256'] }).then((r) => r.payload);

  it('serves HTTPS on 127.0.0.1 at the realm issuer, trusted only through the returned CA', async () => {
    expect(issuer.issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/realms\/fixture$/);
    await expect(request(issuer.urls.discovery)).rejects.toThrow(/self[- ]signed|certificate/i);
  });

  it('publishes the discovery document at Keycloak paths', async () => {
    const res = await request(issuer.urls.discovery, { ca: issuer.ca });
    expect(res.status).toBe(200);
    const doc = res.json();
    const p = `${issuer.issuer}/protocol/openid-connect`;
    expect(doc).toMatchObject({
      issuer: issuer.issuer,
      token_endpoint: `${p}/token`,
      jwks_uri: `${p}/certs`,
      authorization_endpoint: `${p}/auth`,
      end_session_endpoint: `${p}/logout`,
      userinfo_endpoint: `${p}/userinfo`,
    });
    expect([...(doc.grant_types_supported as string[])].sort()).toEqual([
      'authorization_code',
      'client_credentials',
      'password',
      'refresh_token',
    ]);
  });

  it('serves the JWKS at the certs path: an RS256 signing key and an encryption key, no private parts', async () => {
    const res = await request(issuer.urls.certs, { ca: issuer.ca });
    const { keys } = res.json<{ keys: Record<string, string>[] }>();
    const sig = keys.find((k) => k.use === 'sig');
    expect(sig).toMatchObject({ kty: 'RSA', alg: 'RS256', kid: issuer.kid });
    expect(issuer.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(keys.find((k) => k.use === 'enc')).toMatchObject({ kty: 'RSA', alg: 'RSA-OAEP' });
    for (const k of keys) expect(k).not.toHaveProperty('d');
  });

  it('answers 404 outside the realm path', async () => {
    const res = await request(
      issuer.issuer.replace('/realms/fixture', '/realms/other/.well-known/openid-configuration'),
      {
        ca: issuer.ca,
      },
    );
    expect(res.status).toBe(404);
  });

  it('issues client-credentials tokens with Keycloak service-account claims', async () => {
    const res = await postForm(
      issuer.urls.token,
      { grant_type: 'client_credentials' },
      { ca: issuer.ca, headers: { authorization: basicAuth('ingestor', issuer.clientSecrets.ingestor) } },
    );
    expect(res.status).toBe(200);
    const body = res.json<{ access_token: string; token_type: string; expires_in: number }>();
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBe(300);
    expect(decodeProtectedHeader(body.access_token)).toEqual({ alg: 'RS256', typ: 'JWT', kid: issuer.kid });
    const claims = await verify(body.access_token);
    expect(claims).toMatchObject({
      typ: 'Bearer',
      azp: 'ingestor',
      aud: ['fixture-api', 'account'],
      preferred_username: 'service-account-ingestor',
      client_id: 'ingestor',
      sub: issuer.realm.serviceAccounts.get('ingestor')?.id,
      scope: 'profile email',
      resource_access: { 'fixture-api': { roles: ['ingest'] } },
    });
    expect((claims.realm_access as { roles: string[] }).roles).toContain('default-roles-fixture');
    expect(claims.sub).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims.exp! - claims.iat!).toBe(300);
  });

  it('issues password-grant tokens with Keycloak user claims, an ID token typ ID and a refresh token', async () => {
    const res = await postForm(
      issuer.urls.token,
      {
        grant_type: 'password',
        client_id: 'fixture-web',
        username: 'carol',
        password: issuer.passwords.carol,
        scope: 'openid',
      },
      { ca: issuer.ca },
    );
    expect(res.status).toBe(200);
    const body = res.json<{ access_token: string; id_token: string; refresh_token: string; scope: string }>();
    const claims = await verify(body.access_token);
    expect(claims).toMatchObject({
      typ: 'Bearer',
      azp: 'fixture-web',
      aud: ['fixture-api', 'account'],
      preferred_username: 'carol',
      email: 'carol@example.com',
      scope: 'openid profile email',
      groups: ['/ml/analysts'],
      sub: issuer.realm.users.get('carol')?.id,
    });
    // The user's roles and the realm's default ones, as Keycloak puts them in realm_access.
    expect([...(claims.realm_access as { roles: string[] }).roles].sort()).toEqual([
      'default-roles-fixture',
      'offline_access',
      'reader',
      'uma_authorization',
      'writer',
    ]);
    expect(claims).not.toHaveProperty('client_id');
    expect(typeof claims.sid).toBe('string');
    const id = await verify(body.id_token);
    expect(id).toMatchObject({ typ: 'ID', aud: 'fixture-web', sub: claims.sub });
    // Opaque here (Keycloak's are HS256 `typ: Refresh` JWTs): either way, not a verifiable access token.
    expect(body.refresh_token.split('.')).toHaveLength(1);

    const refreshed = await postForm(
      issuer.urls.token,
      { grant_type: 'refresh_token', client_id: 'fixture-web', refresh_token: body.refresh_token },
      { ca: issuer.ca },
    );
    expect(refreshed.status).toBe(200);
    const again = await verify(refreshed.json<{ access_token: string }>().access_token);
    expect(again).toMatchObject({ typ: 'Bearer', sub: claims.sub, preferred_username: 'carol' });
  });

  it('answers CORS at the token endpoint for the client web origins only', async () => {
    const ask = (origin: string) =>
      postForm(
        issuer.urls.token,
        {
          grant_type: 'password',
          client_id: 'fixture-web',
          username: 'dave',
          password: 'dave-test-password',
        },
        { ca: issuer.ca, headers: { origin } },
      );
    const ok = await ask('http://127.0.0.1:5173');
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('http://127.0.0.1:5173');
    const other = await ask('https://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('uses passwords given in options, and omits groups for users without any', async () => {
    const res = await postForm(
      issuer.urls.token,
      { grant_type: 'password', client_id: 'fixture-web', username: 'dave', password: 'dave-test-password' },
      { ca: issuer.ca },
    );
    expect(res.status).toBe(200);
    const claims = await verify(res.json<{ access_token: string }>().access_token);
    expect(claims).toMatchObject({ preferred_username: 'dave', scope: 'profile email' });
    expect(claims).not.toHaveProperty('groups');
  });

  it.each([
    [
      'wrong client secret',
      { grant_type: 'client_credentials' },
      basicAuth('ingestor', 'not-the-secret'),
      401,
      'invalid_client',
    ],
    ['unknown client', { grant_type: 'client_credentials' }, basicAuth('nobody', 'x'), 401, 'invalid_client'],
    [
      'bearer-only API client',
      { grant_type: 'client_credentials' },
      basicAuth('fixture-api', 'x'),
      401,
      'invalid_client',
    ],
    [
      'public client asking client credentials',
      { grant_type: 'client_credentials', client_id: 'fixture-web' },
      undefined,
      400,
      'invalid_request',
    ],
    [
      'wrong password',
      { grant_type: 'password', client_id: 'fixture-web', username: 'carol', password: 'wrong' },
      undefined,
      400,
      'invalid_grant',
    ],
    [
      'unknown user',
      { grant_type: 'password', client_id: 'fixture-web', username: 'mallory', password: 'x' },
      undefined,
      400,
      'invalid_grant',
    ],
    [
      'service account as a user',
      {
        grant_type: 'password',
        client_id: 'fixture-web',
        username: 'service-account-ingestor',
        password: '',
      },
      undefined,
      400,
      'invalid_grant',
    ],
    [
      'unknown scope',
      {
        grant_type: 'password',
        client_id: 'fixture-web',
        username: 'dave',
        password: 'dave-test-password',
        scope: 'admin',
      },
      undefined,
      400,
      'invalid_scope',
    ],
  ])('refuses a token request: %s', async (_name, form, authorization, status, error) => {
    const res = await postForm(issuer.urls.token, form as Record<string, string>, {
      ca: issuer.ca,
      headers: authorization ? { authorization } : {},
    });
    expect(res.status).toBe(status);
    expect(res.json().error).toBe(error);
    expect(res.body).not.toContain('access_token');
  });

  it('runs the authorization-code flow with PKCE through the sign-in form', async () => {
    const jar = new Map<string, string>();
    const send = async (url: string, init: { method?: string; form?: Record<string, string> } = {}) => {
      const headers: Record<string, string> = {};
      if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
      const res = init.form
        ? await postForm(url, init.form, { ca: issuer.ca, headers })
        : await request(url, { ca: issuer.ca, headers, method: init.method });
      for (const c of (res.headers['set-cookie'] as string[] | undefined) ?? []) {
        const [pair] = c.split(';');
        const i = pair.indexOf('=');
        jar.set(pair.slice(0, i), pair.slice(i + 1));
      }
      return res;
    };
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirectUri = 'http://127.0.0.1:5173/callback';
    const auth = new URL(issuer.urls.auth);
    auth.search = new URLSearchParams({
      client_id: 'fixture-web',
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'openid',
      state: 'st-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    const start = await send(auth.href);
    expect(start.status).toBe(303);
    const loginUrl = new URL(start.headers.location as string, issuer.issuer).href;
    expect(loginUrl).toContain('/realms/fixture/login-actions/');
    const form = await send(loginUrl);
    expect(form.status).toBe(200);
    expect(form.body).toContain('name="username"');
    // A browser checks form-action along the redirects after the submit: the client's origin must be listed.
    expect(form.headers['content-security-policy']).toBe(
      "default-src 'none'; form-action 'self' http://127.0.0.1:5173",
    );

    const bad = await send(loginUrl, { form: { username: 'carol', password: 'wrong' } });
    expect(bad.body).toContain('Invalid username or password');

    const ok = await send(loginUrl, { form: { username: 'carol', password: issuer.passwords.carol } });
    expect(ok.status).toBe(303);
    let location = new URL(ok.headers.location as string, issuer.issuer).href;
    for (let i = 0; i < 5 && !location.startsWith(redirectUri); i++) {
      const hop = await send(location);
      expect(hop.status).toBe(303);
      location = new URL(hop.headers.location as string, issuer.issuer).href;
    }
    const callback = new URL(location);
    expect(callback.searchParams.get('state')).toBe('st-1');
    expect(callback.searchParams.get('iss')).toBe(issuer.issuer);
    const code = callback.searchParams.get('code') as string;

    const noVerifier = await postForm(
      issuer.urls.token,
      {
        grant_type: 'authorization_code',
        client_id: 'fixture-web',
        code,
        redirect_uri: redirectUri,
        code_verifier: 'x'.repeat(43),
      },
      { ca: issuer.ca },
    );
    expect(noVerifier.status).toBe(400);

    // A failed PKCE check burns the code; the signed-in session gets a fresh one without the form.
    const again = await send(auth.href);
    let loc = new URL(again.headers.location as string, issuer.issuer).href;
    for (let i = 0; i < 5 && !loc.startsWith(redirectUri); i++) {
      const hop = await send(loc);
      if (hop.status !== 303) break;
      loc = new URL(hop.headers.location as string, issuer.issuer).href;
    }
    const code2 = new URL(loc).searchParams.get('code') as string;
    expect(code2).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const tokens = await postForm(
      issuer.urls.token,
      {
        grant_type: 'authorization_code',
        client_id: 'fixture-web',
        code: code2,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      },
      { ca: issuer.ca },
    );
    expect(tokens.status).toBe(200);
    const body = tokens.json<{ access_token: string; id_token: string; refresh_token: string }>();
    expect(await verify(body.access_token)).toMatchObject({
      typ: 'Bearer',
      azp: 'fixture-web',
      preferred_username: 'carol',
      aud: ['fixture-api', 'account'],
      scope: 'openid profile email',
    });
    expect(await verify(body.id_token)).toMatchObject({ typ: 'ID', preferred_username: 'carol' });
    expect(typeof body.refresh_token).toBe('string');

    const info = await request(issuer.urls.userinfo, {
      ca: issuer.ca,
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(info.status).toBe(200);
    expect(info.json()).toMatchObject({ preferred_username: 'carol', email: 'carol@example.com' });
    const noInfo = await request(issuer.urls.userinfo, {
      ca: issuer.ca,
      headers: { authorization: `Bearer ${body.id_token}` },
    });
    expect(noInfo.status).toBe(401);

    // RP-initiated logout: the confirmation form, then a redirect to a registered post-logout URI only.
    const bye = 'http://127.0.0.1:5173/signed-out';
    const logoutUrl = new URL(issuer.urls.logout);
    logoutUrl.search = new URLSearchParams({
      client_id: 'fixture-web',
      post_logout_redirect_uri: bye,
      id_token_hint: body.id_token,
      state: 'lo-1',
    }).toString();
    const unregistered = new URL(logoutUrl);
    unregistered.searchParams.set('post_logout_redirect_uri', 'https://evil.example/');
    expect((await send(unregistered.href)).status).toBe(400);
    const confirm = await send(logoutUrl.href);
    expect(confirm.status).toBe(200);
    const action = /<form[^>]*action="([^"]+)"/.exec(confirm.body)?.[1] as string;
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)?.[1] as string;
    expect(action).toContain('/protocol/openid-connect/logout');
    const done = await send(new URL(action, issuer.issuer).href, { form: { xsrf, logout: 'yes' } });
    expect(done.status).toBe(303);
    const after = new URL(done.headers.location as string);
    expect(`${after.origin}${after.pathname}`).toBe(bye);
    expect(after.searchParams.get('state')).toBe('lo-1');
  });

  it('mints negative-case tokens with the realm key: expired, wrong typ, no aud', async () => {
    const expired = await issuer.mint({ username: 'carol', expiresIn: -120 });
    await expect(verify(expired)).rejects.toThrow(/exp/);
    const refresh = await issuer.mint({ username: 'carol', claims: { typ: 'Refresh' } });
    expect(await verify(refresh)).toMatchObject({ typ: 'Refresh', preferred_username: 'carol' });
    const noAud = await issuer.mint({ clientId: 'ingestor', claims: { aud: undefined } });
    const claims = claimsOf(noAud);
    expect(claims).not.toHaveProperty('aud');
    expect(claims).toMatchObject({
      azp: 'ingestor',
      client_id: 'ingestor',
      preferred_username: 'service-account-ingestor',
    });
    expect(decodeProtectedHeader(noAud).kid).toBe(issuer.kid);
  });
});

describe('local issuer options', () => {
  it('serves plain http when asked, emits the legacy clientId claim and the app stage config realm', async () => {
    const { DEFAULT_APP_CONFIG } = await import('../../common/app-config.js');
    const stage = DEFAULT_APP_CONFIG.stages.dev;
    const issuer = await startLocalIssuer({
      realm: stage.keycloak,
      https: false,
      clientIdClaim: 'clientId',
      audienceShape: 'api',
    });
    try {
      expect(issuer.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/realms\/keygate$/);
      expect(issuer.ca).toBeUndefined();
      const sa = stage.keycloak.serviceAccounts![0];
      const res = await postForm(
        issuer.urls.token,
        { grant_type: 'client_credentials' },
        { headers: { authorization: basicAuth(sa.clientId, issuer.clientSecrets[sa.clientId]) } },
      );
      expect(res.status).toBe(200);
      const claims = claimsOf(res.json<{ access_token: string }>().access_token);
      expect(claims).toMatchObject({
        clientId: sa.clientId,
        aud: stage.keycloak.audience,
        resource_access: { [stage.keycloak.apiClientId]: { roles: [...sa.clientRoles] } },
      });
      expect(claims).not.toHaveProperty('client_id');
      expect(Object.keys(issuer.passwords).sort()).toEqual(
        stage.keycloak.testUsers!.map((u: { username: string }) => u.username).sort(),
      );
    } finally {
      await issuer.close();
    }
  });
});
