import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizerConfig, IssuerConfig } from '../../../common/authorizer-config';
import { DEFAULTS } from '../../../common/authorizer-config';
import type { ReasonCode } from '../../../common/reason-codes';
import { grantsFor } from '../../../common/route-model';
import type { RouteSpec } from '../../../common/route-model';
import type { TokenVerifier } from '../../../lambda/authorizer/types';
import type { TokenVerifierDeps } from '../../../lambda/authorizer/verify-token';
import { createTokenVerifier } from '../../../lambda/authorizer/verify-token';
import { startJwksServer } from '../../support/https-server';
import type { JwksServer } from '../../support/https-server';
import {
  generateEncryptionJwk,
  generateKeyPerAlgorithm,
  generateSigningKey,
  jwksOf,
} from '../../support/keys';
import type { TestKey } from '../../support/keys';
import {
  b64url,
  COGNITO_POOL_ID,
  COGNITO_REGION,
  cognitoAccessToken,
  cognitoIdToken,
  cognitoIssuer,
  keycloakAccessClaims,
  keycloakAccessToken,
  keycloakHeader,
  keycloakIdToken,
  keycloakRefreshToken,
  keycloakServiceAccountToken,
  nowSeconds,
  rawToken,
  signHmac,
  signJws,
} from '../../support/tokens';
import type { KeycloakClaimOptions } from '../../support/tokens';

const REALM = '/realms/test';

function keycloakIssuer(server: JwksServer, extra: Partial<IssuerConfig> = {}): IssuerConfig {
  return { kind: 'keycloak', issuer: server.url + REALM, allowedClients: ['web'], ...extra } as IssuerConfig;
}

function configOf(issuers: IssuerConfig[], extra: Partial<AuthorizerConfig> = {}): AuthorizerConfig {
  return { version: 1, issuers, routes: [], ...extra };
}

function verifierFor(
  server: JwksServer,
  config: AuthorizerConfig,
  deps: TokenVerifierDeps = {},
): TokenVerifier {
  return createTokenVerifier(config, { requestOptions: { ca: server.ca }, ...deps });
}

/** A clock tests can move. */
function testClock(start = Date.now()) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('createTokenVerifier — every allowed algorithm over a real HTTPS JWKS', () => {
  let keys: TestKey[];
  let server: JwksServer;
  let verifier: TokenVerifier;

  beforeAll(async () => {
    keys = await generateKeyPerAlgorithm();
    // Keycloak publishes its RSA-OAEP encryption key in the same JWKS; put it first.
    server = await startJwksServer(jwksOf(await generateEncryptionJwk(), ...keys));
    verifier = verifierFor(
      server,
      configOf([keycloakIssuer(server, { algorithms: keys.map((k) => k.alg) })]),
    );
  });
  afterAll(() => server.close());

  it.each(['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])(
    'verifies a %s token',
    async (alg) => {
      const key = keys.find((k) => k.alg === alg) as TestKey;
      const result = await verifier.verify(
        keycloakAccessToken(key, { issuer: server.url + REALM, realmRoles: ['reader'] }),
      );
      expect(result).toMatchObject({
        ok: true,
        cached: false,
        principal: {
          sub: 'f1a2b3c4-0000-4000-8000-000000000001',
          realmRoles: ['reader'],
          tokenKind: 'keycloak-user',
        },
        facts: { alg, kid: key.kid, iss: server.url + REALM, azp: 'web' },
      });
    },
  );

  it('fetched the JWKS once, from the Keycloak certs path', () => {
    expect(server.paths).toEqual([`${REALM}/protocol/openid-connect/certs`]);
  });

  it('verifies an Ed448 EdDSA token', async () => {
    const ed448 = await generateSigningKey('EdDSA', { crv: 'Ed448' });
    const s = await startJwksServer(jwksOf(ed448));
    try {
      const v = verifierFor(s, configOf([keycloakIssuer(s, { algorithms: ['EdDSA'] })]));
      expect(await v.verify(keycloakAccessToken(ed448, { issuer: s.url + REALM }))).toMatchObject({
        ok: true,
      });
    } finally {
      await s.close();
    }
  });
});

describe('createTokenVerifier — principal', () => {
  let key: TestKey;
  let server: JwksServer;
  let verifier: TokenVerifier;
  let issuer: string;

  beforeAll(async () => {
    key = await generateSigningKey('RS256');
    server = await startJwksServer(jwksOf(key));
    issuer = server.url + REALM;
    verifier = verifierFor(server, configOf([keycloakIssuer(server, { allowedClients: ['web', 'batch'] })]));
  });
  afterAll(() => server.close());

  it('maps a Keycloak user token', async () => {
    const token = keycloakAccessToken(key, {
      issuer,
      realmRoles: ['reader', 'model:sentiment:invoke'],
      clientRoles: { orders: { roles: ['admin'] }, account: { roles: ['view-profile'] } } as never,
      scope: 'openid profile orders.read',
      groups: ['/ml/team-a'],
      username: 'alice',
    });
    const result = await verifier.verify(token);
    expect(result).toMatchObject({
      ok: true,
      principal: {
        username: 'alice',
        clientId: 'web',
        issuer,
        tokenKind: 'keycloak-user',
        realmRoles: ['reader', 'model:sentiment:invoke'],
        clientRoles: ['orders:admin', 'account:view-profile'],
        scopes: ['openid', 'profile', 'orders.read'],
        groups: ['/ml/team-a'],
      },
    });
  });

  it.each([
    ['client_id', false],
    ['clientId (older Keycloak)', true],
  ])('recognises a service-account token carrying %s', async (_name, legacy) => {
    const token = keycloakServiceAccountToken(key, {
      issuer,
      clientId: 'batch',
      legacyClientIdClaim: legacy,
    });
    expect(await verifier.verify(token)).toMatchObject({
      ok: true,
      principal: {
        tokenKind: 'keycloak-service-account',
        clientId: 'batch',
        username: 'service-account-batch',
      },
    });
  });

  it('drops roles containing * or / so they can never reach a policy resource', async () => {
    const token = keycloakAccessToken(key, {
      issuer,
      realmRoles: ['model:*:invoke', 'model:a/b:invoke', 'model:ok:invoke'],
      clientRoles: { 'api*': { roles: ['admin'] }, api: { roles: ['x/y', 'ok'] } } as never,
    });
    const result = await verifier.verify(token);
    if (!result.ok) throw new Error(`expected ok, got ${result.reason}`);
    expect(result.principal.realmRoles).toEqual(['model:ok:invoke']);
    expect(result.principal.clientRoles).toEqual(['api:ok']);
    const routes: RouteSpec[] = [
      {
        method: 'POST',
        path: '/models/{modelId}/invoke',
        auth: 'keycloak',
        requirement: { anyOf: { realmRoles: ['model:{modelId}:invoke'] } },
      },
    ];
    const grants = grantsFor(routes, result.principal);
    expect(grants.allow).toEqual(['POST/models/ok/invoke']);
    expect(grants.allow.join(' ')).not.toMatch(/\*|a\/b/);
  });
});

describe('createTokenVerifier — negative table', () => {
  let key: TestKey;
  let stranger: TestKey;
  let es256: TestKey;
  let server: JwksServer;
  let verifier: TokenVerifier;
  let issuer: string;
  let audIssuer: string;
  let accountIssuer: string;
  const secret = 'realm-internal-hmac-secret';

  beforeAll(async () => {
    key = await generateSigningKey('RS256');
    stranger = await generateSigningKey('RS256');
    es256 = await generateSigningKey('ES256');
    server = await startJwksServer(jwksOf(key, es256));
    issuer = server.url + REALM;
    audIssuer = server.url + '/realms/aud';
    accountIssuer = server.url + '/realms/account';
    verifier = verifierFor(
      server,
      configOf([
        keycloakIssuer(server),
        { kind: 'keycloak', issuer: audIssuer, allowedAudiences: ['orders-api'] },
        {
          kind: 'keycloak',
          issuer: accountIssuer,
          allowedAudiences: ['orders-api'],
          allowAccountAudience: true,
        },
      ]),
    );
  });
  afterAll(() => server.close());

  const access = (o: Partial<KeycloakClaimOptions> = {}) => keycloakAccessToken(key, { issuer, ...o });
  const claims = (o: Partial<KeycloakClaimOptions> = {}) => keycloakAccessClaims({ issuer, ...o });
  const header = (h: Record<string, unknown>) => ({ alg: 'RS256', typ: 'JWT', kid: key.kid, ...h });
  const now = nowSeconds;

  // [name, token builder, expected reason]
  const cases: [string, () => string, ReasonCode][] = [
    ...['none', 'NONE', 'None', 'nOnE'].flatMap((alg): [string, () => string, ReasonCode][] => [
      [
        `alg ${alg}, empty signature`,
        () => `${b64url(JSON.stringify({ alg, typ: 'JWT' }))}.${b64url(JSON.stringify(claims()))}.`,
        'alg_not_allowed',
      ],
      [
        `alg ${alg}, copied signature`,
        () =>
          signJws(key, claims(), { alg, kid: key.kid }).replace(
            /^[^.]+/,
            b64url(JSON.stringify({ alg, kid: key.kid })),
          ),
        'alg_not_allowed',
      ],
    ]),
    [
      'HS256 signed with the RSA public key (PEM) as secret',
      () =>
        signHmac(key.publicKey.export({ type: 'spki', format: 'pem' }) as string, claims(), {
          alg: 'HS256',
          typ: 'JWT',
          kid: key.kid,
        }),
      'alg_not_allowed',
    ],
    [
      'HS256 signed with the RSA public key (JWK n) as secret',
      () => signHmac(String(key.publicJwk.n), claims(), { alg: 'HS256', kid: key.kid }),
      'alg_not_allowed',
    ],
    ['PS256', () => signJws(key, claims(), header({ alg: 'PS256' })), 'alg_not_allowed'],
    ['alg missing', () => signJws(key, claims(), { typ: 'JWT', kid: key.kid }), 'alg_not_allowed'],
    ['alg not a string', () => signJws(key, claims(), header({ alg: ['RS256'] })), 'alg_not_allowed'],
    [
      'ES256 where the issuer allows only RS256',
      () => keycloakAccessToken(es256, { issuer }),
      'alg_not_allowed',
    ],
    [
      'header alg RS256 on a token signed with an EC key (kid of the EC key)',
      () => signJws(es256, claims(), header({ kid: es256.kid })),
      'alg_not_allowed',
    ],
    [
      'embedded jwk (attacker key)',
      () => signJws(stranger, claims(), header({ kid: stranger.kid, jwk: stranger.publicJwk })),
      'header_forbidden',
    ],
    [
      'jku',
      () => signJws(stranger, claims(), header({ jku: 'https://evil.example/jwks.json' })),
      'header_forbidden',
    ],
    [
      'x5u',
      () => signJws(stranger, claims(), header({ x5u: 'https://evil.example/cert.pem' })),
      'header_forbidden',
    ],
    ['x5c', () => signJws(stranger, claims(), header({ x5c: ['MIIB...'] })), 'header_forbidden'],
    ['unknown crit', () => signJws(key, claims(), header({ crit: ['exp'], exp: 1 })), 'header_forbidden'],
    [
      'crit b64 (RFC 7797)',
      () => signJws(key, claims(), header({ crit: ['b64'], b64: false })),
      'header_forbidden',
    ],
    ['kid path traversal ../../x', () => signJws(key, claims(), header({ kid: '../../x' })), 'kid_unknown'],
    [
      "kid SQL injection ' OR 1=1",
      () => signJws(key, claims(), header({ kid: "' OR 1=1 --" })),
      'kid_unknown',
    ],
    ['kid very long', () => signJws(key, claims(), header({ kid: 'k'.repeat(3000) })), 'kid_unknown'],
    ['kid with NUL', () => signJws(key, claims(), header({ kid: `${key.kid}\u0000` })), 'kid_unknown'],
    ['kid an object', () => signJws(key, claims(), header({ kid: { $ne: null } })), 'kid_unknown'],
    ['kid missing', () => signJws(key, claims(), { alg: 'RS256', typ: 'JWT' }), 'kid_unknown'],
    ['unknown kid (key not published)', () => keycloakAccessToken(stranger, { issuer }), 'kid_unknown'],
    [
      'known kid, other key (forged signature)',
      () => signJws(stranger, claims(), keycloakHeader('RS256', key.kid)),
      'signature_invalid',
    ],
    [
      'payload altered after signing',
      () => tamperPayload(access(), { realm_access: { roles: ['admin'] } }),
      'signature_invalid',
    ],
    ['signature stripped to one byte', () => access().replace(/\.[^.]+$/, '.AA'), 'signature_invalid'],
    ['two segments', () => access().split('.').slice(0, 2).join('.'), 'token_malformed'],
    ['four segments', () => `${access()}.AAAA`, 'token_malformed'],
    ['five segments (JWE)', () => 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d', 'token_malformed'],
    ['empty string', () => '', 'token_malformed'],
    ['standard base64 characters', () => access().replace(/^(.)/, '+'), 'token_malformed'],
    ['padding', () => access().replace('.', '==.'), 'token_malformed'],
    ['header not JSON', () => rawToken('{"alg":"RS256",', JSON.stringify(claims())), 'token_malformed'],
    ['payload a JSON array', () => rawToken(keycloakHeader('RS256', key.kid), '[1,2,3]'), 'token_malformed'],
    ['payload null', () => rawToken(keycloakHeader('RS256', key.kid), 'null'), 'token_malformed'],
    [
      'payload not UTF-8',
      () =>
        `${b64url(keycloakHeader('RS256', key.kid))}.${Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url')}.AAAA`,
      'token_malformed',
    ],
    [
      'oversize token (validly signed)',
      () => access({ extra: { filler: 'x'.repeat(9000) } }),
      'token_malformed',
    ],
    ['expired', () => access({ iat: now() - 600, lifetime: 300 }), 'token_expired'],
    [
      'expired just beyond the skew',
      () => access({ iat: now() - 300 - DEFAULTS.clockSkewSeconds - 5, lifetime: 300 }),
      'token_expired',
    ],
    ['nbf in the future', () => access({ extra: { nbf: now() + 600 } }), 'token_not_yet_valid'],
    ['iat in the future', () => access({ iat: now() + 600 }), 'token_not_yet_valid'],
    ['exp missing', () => access({ extra: { exp: undefined } }), 'claim_missing'],
    ['exp a string', () => access({ extra: { exp: String(now() + 300) } }), 'claim_missing'],
    ['sub missing', () => access({ extra: { sub: undefined } }), 'claim_missing'],
    ['sub empty', () => access({ sub: '' }), 'claim_missing'],
    ['iss another realm', () => access({ issuer: server.url + '/realms/other' }), 'issuer_untrusted'],
    ['iss with a trailing slash', () => access({ issuer: `${server.url + REALM}/` }), 'issuer_untrusted'],
    [
      'iss http instead of https',
      () => access({ issuer: (server.url + REALM).replace('https:', 'http:') }),
      'issuer_untrusted',
    ],
    [
      'iss legacy /auth/realms path',
      () => access({ issuer: server.url + '/auth' + REALM }),
      'issuer_untrusted',
    ],
    ['iss missing', () => access({ extra: { iss: undefined } }), 'issuer_untrusted'],
    ['iss not a string', () => access({ extra: { iss: [server.url + REALM] } }), 'issuer_untrusted'],
    ['azp not an allowed client', () => access({ azp: 'other-client' }), 'client_not_allowed'],
    ['azp missing', () => access({ extra: { azp: undefined } }), 'client_not_allowed'],
    ['aud not allowed', () => access({ issuer: audIssuer, aud: ['billing-api'] }), 'audience_not_allowed'],
    ['aud only account', () => access({ issuer: audIssuer, aud: 'account' }), 'audience_not_allowed'],
    ['aud only [account]', () => access({ issuer: audIssuer, aud: ['account'] }), 'audience_not_allowed'],
    ['aud missing where audiences are required', () => access({ issuer: audIssuer }), 'audience_not_allowed'],
    ['ID token', () => keycloakIdToken(key, { issuer }), 'token_type_invalid'],
    [
      'refresh token (HS256, as Keycloak signs them)',
      () => keycloakRefreshToken(secret, { issuer }),
      'alg_not_allowed',
    ],
    [
      'offline token (HS256)',
      () => keycloakRefreshToken(secret, { issuer, typ: 'Offline' }),
      'alg_not_allowed',
    ],
    ...['Refresh', 'Offline', 'Logout', 'ID', 'bearer', ''].map((typ): [string, () => string, ReasonCode] => [
      `typ ${JSON.stringify(typ)} signed with the realm key`,
      () => access({ extra: { typ } }),
      'token_type_invalid',
    ]),
    ['typ missing', () => access({ extra: { typ: undefined } }), 'token_type_invalid'],
    [
      'realm_access.roles a string',
      () => access({ extra: { realm_access: { roles: 'admin' } } }),
      'claims_malformed',
    ],
    ['realm_access a list', () => access({ extra: { realm_access: ['admin'] } }), 'claims_malformed'],
    [
      'realm_access.roles with a number',
      () => access({ extra: { realm_access: { roles: ['a', 1] } } }),
      'claims_malformed',
    ],
    [
      'resource_access.<client> a list',
      () => access({ extra: { resource_access: { api: ['admin'] } } }),
      'claims_malformed',
    ],
    [
      'resource_access.<client>.roles an object',
      () => access({ extra: { resource_access: { api: { roles: { 0: 'admin' } } } } }),
      'claims_malformed',
    ],
    ['groups a string', () => access({ extra: { groups: '/admins' } }), 'claims_malformed'],
    ['scope a list', () => access({ extra: { scope: ['openid'] } }), 'claims_malformed'],
    ['preferred_username a number', () => access({ extra: { preferred_username: 7 } }), 'claims_malformed'],
  ];

  it.each(cases.map(([name, build, reason]) => [name, reason, build] as const))(
    '%s → no allow, no throw, %s',
    async (_name, reason, build) => {
      const result = await verifier.verify(build());
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toBe(reason);
    },
  );

  it('accepts the positive twins of the table', async () => {
    for (const token of [
      access(),
      access({ iat: now() - 300 - DEFAULTS.clockSkewSeconds + 5, lifetime: 300 }), // expired, but within skew
      access({ iat: now() + DEFAULTS.clockSkewSeconds - 5 }), // iat a little ahead, within skew
      access({ issuer: audIssuer, aud: ['orders-api', 'account'] }),
      access({ issuer: audIssuer, aud: 'orders-api' }),
      access({ issuer: accountIssuer, aud: 'account' }), // allowAccountAudience
    ]) {
      const result = await verifier.verify(token);
      expect(result, result.ok ? '' : `${result.reason}: ${result.detail}`).toMatchObject({ ok: true });
    }
  });

  it('never echoes token, signature or claim values in the detail', async () => {
    const secretClaim = 'very-secret-claim-value';
    for (const token of [
      access({ azp: secretClaim }),
      access({ iat: now() - 3600, extra: { note: secretClaim } }),
      signJws(stranger, claims({ sub: secretClaim }), keycloakHeader('RS256', key.kid)),
      access({ issuer: `https://${secretClaim}.example/realms/x` }),
    ]) {
      const result = await verifier.verify(token);
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.detail ?? '').not.toContain(secretClaim);
      expect(result.detail ?? '').not.toContain(token.split('.')[2].slice(0, 16));
    }
  });
});

describe('createTokenVerifier — JWKS behaviour', () => {
  let key: TestKey;
  let servers: JwksServer[] = [];
  const start = async (jwks: unknown) => {
    const s = await startJwksServer(jwks);
    servers.push(s);
    return s;
  };
  beforeAll(async () => {
    key = await generateSigningKey('RS256');
  });
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });

  it('refuses an untrusted iss without any request to any JWKS', async () => {
    const server = await start(jwksOf(key));
    const verifier = verifierFor(server, configOf([keycloakIssuer(server)]));
    for (const iss of [
      server.url + '/realms/other',
      `${server.url + REALM}/`,
      server.url + '/auth' + REALM,
    ]) {
      expect(await verifier.verify(keycloakAccessToken(key, { issuer: iss }))).toMatchObject({
        ok: false,
        reason: 'issuer_untrusted',
      });
    }
    expect(server.requests).toBe(0);
  });

  it('uses a configured jwksUri instead of the Keycloak default path', async () => {
    const server = await start(jwksOf(key));
    const verifier = verifierFor(
      server,
      configOf([keycloakIssuer(server, { jwksUri: `${server.url}/internal/keys` })]),
    );
    expect(await verifier.verify(keycloakAccessToken(key, { issuer: server.url + REALM }))).toMatchObject({
      ok: true,
    });
    expect(server.paths).toEqual(['/internal/keys']);
  });

  it('keeps verifying known keys while the IdP is down, and denies an unknown kid with jwks_unavailable', async () => {
    const server = await start(jwksOf(key));
    const clock = testClock();
    const failures: [string, string][] = [];
    const issuer = server.url + REALM;
    const verifier = verifierFor(server, configOf([keycloakIssuer(server)], { verifiedCacheSize: 0 }), {
      now: clock.now,
      events: { jwksFetchFailed: (iss, reason) => failures.push([iss, reason]) },
    });
    expect(await verifier.verify(keycloakAccessToken(key, { issuer }))).toMatchObject({ ok: true });
    server.behave({ status: 503 });
    clock.advance(60_000);
    // A new token with the known kid: served from the cached JWKS, no request.
    expect(await verifier.verify(keycloakAccessToken(key, { issuer, sub: 'other-user' }))).toMatchObject({
      ok: true,
    });
    expect(server.requests).toBe(1);
    const rotated = await generateSigningKey('RS256');
    const result = await verifier.verify(keycloakAccessToken(rotated, { issuer }));
    expect(result).toMatchObject({ ok: false, reason: 'jwks_unavailable' });
    expect(failures).toEqual([[issuer, 'http status 503']]);
    expect(await verifier.verify(keycloakAccessToken(key, { issuer, sub: 'third-user' }))).toMatchObject({
      ok: true,
    });
  });

  it('keeps verifying known keys after the JWKS server is gone (connection refused)', async () => {
    const server = await startJwksServer(jwksOf(key));
    const issuer = server.url + REALM;
    const clock = testClock();
    const verifier = verifierFor(server, configOf([keycloakIssuer(server)], { verifiedCacheSize: 0 }), {
      now: clock.now,
    });
    expect(await verifier.verify(keycloakAccessToken(key, { issuer }))).toMatchObject({ ok: true });
    await server.close();
    clock.advance(60_000); // well past the refetch interval
    expect(await verifier.verify(keycloakAccessToken(key, { issuer, sub: 'later' }))).toMatchObject({
      ok: true,
    });
    const unknown = await generateSigningKey('RS256');
    expect(await verifier.verify(keycloakAccessToken(unknown, { issuer }))).toMatchObject({
      ok: false,
      reason: 'jwks_unavailable',
    });
  });

  it('denies with jwks_unavailable within the timeout when the JWKS server hangs', async () => {
    const server = await start(jwksOf(key));
    server.behave('hang');
    const failures: string[] = [];
    const verifier = verifierFor(server, configOf([keycloakIssuer(server)], { jwksTimeoutMs: 300 }), {
      events: { jwksFetchFailed: (_iss, reason) => failures.push(reason) },
    });
    // The test's own timeout (below) is the bound: a fetch without a deadline would hang until then.
    const result = await verifier.verify(keycloakAccessToken(key, { issuer: server.url + REALM }));
    expect(result).toMatchObject({ ok: false, reason: 'jwks_unavailable' });
    expect(failures).toEqual(['timeout']);
    expect(server.requests).toBe(1);
  }, 5_000);

  it.each([
    ['a connection reset', 'reset' as const, /network error|fetch failed/],
    ['an HTTP 500', { status: 500 }, /http status 500/],
    ['a body that is not JSON', { body: '<html>' }, /invalid JWKS document/],
    ['JSON that is not a JWKS', { body: '{"keys":"nope"}' }, /invalid JWKS document/],
  ])('denies with jwks_unavailable on %s', async (_name, behaviour, reasonPattern) => {
    const server = await start(jwksOf(key));
    server.behave(behaviour);
    const failures: string[] = [];
    const verifier = verifierFor(server, configOf([keycloakIssuer(server)]), {
      events: { jwksFetchFailed: (_iss, reason) => failures.push(reason) },
    });
    expect(await verifier.verify(keycloakAccessToken(key, { issuer: server.url + REALM }))).toMatchObject({
      ok: false,
      reason: 'jwks_unavailable',
    });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(reasonPattern);
  });

  it('retries a fetch that failed fast once, within the time budget', async () => {
    const server = await start(jwksOf(key));
    server.behave('reset-once');
    const failures: string[] = [];
    const verifier = verifierFor(server, configOf([keycloakIssuer(server)]), {
      events: { jwksFetchFailed: (_iss, reason) => failures.push(reason) },
    });
    expect(await verifier.verify(keycloakAccessToken(key, { issuer: server.url + REALM }))).toMatchObject({
      ok: true,
    });
    expect(server.requests).toBe(2);
    expect(failures).toEqual([]);
  });

  it('refetches at once for the first unknown kid after a successful fetch: a rotated key works at once', async () => {
    const server = await start(jwksOf(key));
    const clock = testClock();
    const issuer = server.url + REALM;
    const verifier = verifierFor(server, configOf([keycloakIssuer(server)]), { now: clock.now });
    expect(await verifier.verify(keycloakAccessToken(key, { issuer }))).toMatchObject({ ok: true });
    expect(server.requests).toBe(1);

    // The IdP rotates a moment after the container's fetch: the first token of the new key is accepted.
    const rotated = await generateSigningKey('RS256');
    server.setJwks(jwksOf(key, rotated));
    clock.advance(1_000);
    expect(await verifier.verify(keycloakAccessToken(rotated, { issuer }))).toMatchObject({ ok: true });
    expect(server.requests).toBe(2);
    // Both keys stay usable from the refetched JWKS.
    expect(await verifier.verify(keycloakAccessToken(key, { issuer, sub: 'old-key' }))).toMatchObject({
      ok: true,
    });
    expect(server.requests).toBe(2);
  });

  it('refetches for further unknown kids at most once per 10 s per issuer', async () => {
    const server = await start(jwksOf(key));
    const clock = testClock();
    const issuer = server.url + REALM;
    const verifier = verifierFor(server, configOf([keycloakIssuer(server)]), { now: clock.now });
    expect(await verifier.verify(keycloakAccessToken(key, { issuer }))).toMatchObject({ ok: true });

    // Garbage kids: the first one refetches at once, every further one waits out the interval.
    const stranger = await generateSigningKey('RS256');
    for (let i = 0; i < 20; i++) {
      expect(await verifier.verify(keycloakAccessToken(stranger, { issuer, sub: `s${i}` }))).toMatchObject({
        ok: false,
        reason: 'kid_unknown',
      });
      clock.advance(100);
    }
    expect(server.requests).toBe(2);

    // A key rotated in now waits for the interval since the last fetch (t = 2 s; the refetch was at 0 s).
    const rotated = await generateSigningKey('RS256');
    server.setJwks(jwksOf(key, rotated));
    expect(await verifier.verify(keycloakAccessToken(rotated, { issuer }))).toMatchObject({
      ok: false,
      reason: 'kid_unknown',
    });
    expect(server.requests).toBe(2);
    clock.advance(DEFAULTS.jwksRefetchIntervalMs - 2_000);
    expect(await verifier.verify(keycloakAccessToken(rotated, { issuer, sub: 'later' }))).toMatchObject({
      ok: true,
    });
    expect(server.requests).toBe(3);

    // That interval fetch grants one immediate refetch again, and no more: two requests per 10 s at most.
    for (let i = 0; i < 20; i++)
      await verifier.verify(keycloakAccessToken(stranger, { issuer, sub: `t${i}` }));
    expect(server.requests).toBe(4);
  });

  it('waits out the interval after a failed fetch, without an immediate refetch', async () => {
    const server = await start(jwksOf(key));
    const clock = testClock();
    const issuer = server.url + REALM;
    const verifier = verifierFor(server, configOf([keycloakIssuer(server)]), { now: clock.now });
    expect(await verifier.verify(keycloakAccessToken(key, { issuer }))).toMatchObject({ ok: true });
    clock.advance(DEFAULTS.jwksRefetchIntervalMs);
    server.behave({ status: 503 });
    const stranger = await generateSigningKey('RS256');
    expect(await verifier.verify(keycloakAccessToken(stranger, { issuer }))).toMatchObject({
      reason: 'jwks_unavailable',
    });
    expect(server.requests).toBe(2);
    server.behave('serve');
    clock.advance(1_000);
    expect(await verifier.verify(keycloakAccessToken(stranger, { issuer, sub: 'again' }))).toMatchObject({
      reason: 'kid_unknown',
    });
    expect(server.requests).toBe(2);
  });

  it('shares one fetch between concurrent first requests', async () => {
    const server = await start(jwksOf(key));
    server.behave({ delayMs: 100 });
    const issuer = server.url + REALM;
    const verifier = verifierFor(server, configOf([keycloakIssuer(server)]));
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        verifier.verify(keycloakAccessToken(key, { issuer, sub: `u${i}` })),
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(server.requests).toBe(1);
  });

  it('never verifies with a key published as use: enc', async () => {
    const encKey = await generateSigningKey('RS256');
    const server = await start(jwksOf({ ...encKey.publicJwk, use: 'enc', alg: 'RSA-OAEP' }));
    const verifier = verifierFor(server, configOf([keycloakIssuer(server)]));
    expect(await verifier.verify(keycloakAccessToken(encKey, { issuer: server.url + REALM }))).toMatchObject({
      ok: false,
      reason: 'kid_unknown',
    });
  });

  it('fetches each issuer its own JWKS', async () => {
    const other = await generateSigningKey('RS256');
    const a = await start(jwksOf(key));
    const b = await start(jwksOf(other));
    const verifier = createTokenVerifier(
      configOf([
        keycloakIssuer(a),
        { kind: 'keycloak', issuer: b.url + '/realms/b', allowedClients: ['web'] },
      ]),
      { requestOptions: { ca: a.ca } }, // both servers share the test certificate
    );
    expect(await verifier.verify(keycloakAccessToken(key, { issuer: a.url + REALM }))).toMatchObject({
      ok: true,
    });
    expect(await verifier.verify(keycloakAccessToken(other, { issuer: b.url + '/realms/b' }))).toMatchObject({
      ok: true,
    });
    // A key of issuer B presented under issuer A is unknown there (after A's one immediate refetch).
    expect(await verifier.verify(keycloakAccessToken(other, { issuer: a.url + REALM }))).toMatchObject({
      reason: 'kid_unknown',
    });
    expect([a.requests, b.requests]).toEqual([2, 1]);
  });

  it('refuses to fetch a JWKS over a certificate it does not trust', async () => {
    const server = await start(jwksOf(key));
    const verifier = createTokenVerifier(configOf([keycloakIssuer(server)]));
    expect(await verifier.verify(keycloakAccessToken(key, { issuer: server.url + REALM }))).toMatchObject({
      ok: false,
      reason: 'jwks_unavailable',
    });
  });
});

describe('createTokenVerifier — verified-claims cache', () => {
  let key: TestKey;
  let server: JwksServer;
  let issuer: string;
  beforeAll(async () => {
    key = await generateSigningKey('RS256');
    server = await startJwksServer(jwksOf(key));
    issuer = server.url + REALM;
  });
  afterAll(() => server.close());

  function counted(extra: Partial<AuthorizerConfig> = {}, clock = testClock()) {
    const counter = { signatures: 0 };
    const verifier = verifierFor(server, configOf([keycloakIssuer(server)], extra), {
      now: clock.now,
      onSignatureVerification: () => counter.signatures++,
    });
    return { verifier, counter, clock };
  }

  it('answers a re-presented token without verifying the signature again', async () => {
    const { verifier, counter } = counted();
    const token = keycloakAccessToken(key, { issuer, realmRoles: ['reader'] });
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(first).toMatchObject({ ok: true, cached: false });
    expect(second).toMatchObject({ ok: true, cached: true });
    if (first.ok && second.ok) {
      expect(second.principal).toEqual(first.principal);
      expect(second.facts).toEqual(first.facts);
    }
    expect(counter.signatures).toBe(1);
  });

  it('expires an entry at exp', async () => {
    const clock = testClock(Math.floor(Date.now() / 1000) * 1000);
    const { verifier, counter } = counted({ clockSkewSeconds: 0 }, clock);
    const iat = Math.floor(clock.now() / 1000);
    const token = keycloakAccessToken(key, { issuer, iat, lifetime: 120 });
    await verifier.verify(token);
    clock.advance(119_000);
    expect(await verifier.verify(token)).toMatchObject({ ok: true, cached: true });
    expect(counter.signatures).toBe(1);
    clock.advance(1_000); // now = exp: the entry is gone and the token is verified again
    expect(await verifier.verify(token)).toMatchObject({ ok: true, cached: false });
    expect(counter.signatures).toBe(2);
    clock.advance(1_000); // now > exp
    expect(await verifier.verify(token)).toMatchObject({ ok: false, reason: 'token_expired' });
    expect(counter.signatures).toBe(3);
  });

  it('does not answer a token with another signature from the cache', async () => {
    const { verifier, counter } = counted();
    const token = keycloakAccessToken(key, { issuer });
    await verifier.verify(token);
    const forged = token.replace(/.{4}$/, 'AAAA');
    expect(await verifier.verify(forged)).toMatchObject({ ok: false, reason: 'signature_invalid' });
    expect(counter.signatures).toBe(2);
  });

  it('does not cache failures', async () => {
    const { verifier, counter } = counted();
    const token = keycloakAccessToken(key, { issuer, azp: 'other' });
    await verifier.verify(token);
    await verifier.verify(token);
    expect(counter.signatures).toBe(2);
  });

  it('is bounded (least recently used evicted) and can be disabled', async () => {
    const { verifier, counter } = counted({ verifiedCacheSize: 2 });
    const [a, b, c] = ['a', 'b', 'c'].map((sub) => keycloakAccessToken(key, { issuer, sub }));
    for (const t of [a, b, a, c]) await verifier.verify(t); // b is now least recently used and evicted by c
    expect(counter.signatures).toBe(3);
    expect(await verifier.verify(a)).toMatchObject({ cached: true });
    expect(await verifier.verify(b)).toMatchObject({ cached: false });

    const off = counted({ verifiedCacheSize: 0 });
    await off.verifier.verify(a);
    expect(await off.verifier.verify(a)).toMatchObject({ ok: true, cached: false });
    expect(off.counter.signatures).toBe(2);
  });
});

describe('createTokenVerifier — Cognito user pool', () => {
  let key: TestKey;
  let stranger: TestKey;
  let verifier: TokenVerifier;
  const issuer = cognitoIssuer();

  beforeAll(async () => {
    key = await generateSigningKey('RS256');
    stranger = await generateSigningKey('RS256');
    // No network to cognito-idp.amazonaws.com here: hand the pool's JWKS to the verifier up front.
    verifier = createTokenVerifier(
      configOf([
        {
          kind: 'cognito',
          userPoolId: COGNITO_POOL_ID,
          region: COGNITO_REGION,
          allowedClients: ['cognitoclient1'],
        },
      ]),
      { jwks: { [issuer]: jwksOf(key) } },
    );
  });

  it('maps an access token with groups, scopes and the Keycloak roles claim', async () => {
    const token = cognitoAccessToken(key, {
      groups: ['eu-west-1_TestPool1_Keycloak', 'analysts'],
      scope: 'openid email orders/read',
      roles: { realm: ['reader', 'model:sentiment:invoke'], clients: { orders: ['admin'] } },
    });
    expect(await verifier.verify(token)).toMatchObject({
      ok: true,
      principal: {
        sub: '7f3e0000-aaaa-4bbb-8ccc-000000000042',
        username: 'keycloak_alice',
        clientId: 'cognitoclient1',
        issuer,
        tokenKind: 'cognito',
        groups: ['eu-west-1_TestPool1_Keycloak', 'analysts'],
        scopes: ['openid', 'email'],
        realmRoles: ['reader', 'model:sentiment:invoke'],
        clientRoles: ['orders:admin'],
      },
    });
  });

  it('accepts the global issuer-cognito-idp issuer form', async () => {
    const token = cognitoAccessToken(key, {
      extra: { iss: `https://issuer-cognito-idp.${COGNITO_REGION}.amazonaws.com/${COGNITO_POOL_ID}` },
    });
    expect(await verifier.verify(token)).toMatchObject({ ok: true, principal: { issuer } });
  });

  it.each(
    (
      [
        ['an ID token', () => cognitoIdToken(key), 'token_type_invalid'],
        [
          'token_use missing',
          () => cognitoAccessToken(key, { extra: { token_use: undefined } }),
          'token_type_invalid',
        ],
        [
          'another app client',
          () => cognitoAccessToken(key, { clientId: 'someoneelse' }),
          'client_not_allowed',
        ],
        [
          'another user pool',
          () => cognitoAccessToken(key, { userPoolId: 'eu-west-1_OtherPool' }),
          'issuer_untrusted',
        ],
        [
          'another region',
          () => cognitoAccessToken(key, { region: 'us-east-1', userPoolId: 'us-east-1_TestPool1' }),
          'issuer_untrusted',
        ],
        ['roles claim a number', () => cognitoAccessToken(key, { roles: 7 }), 'claims_malformed'],
        [
          'roles claim with a number inside',
          () => cognitoAccessToken(key, { roles: ['a', 2] }),
          'claims_malformed',
        ],
        [
          'cognito:groups a string',
          () => cognitoAccessToken(key, { extra: { 'cognito:groups': 'admins' } }),
          'claims_malformed',
        ],
        [
          'expired',
          () => cognitoAccessToken(key, { iat: nowSeconds() - 7200, lifetime: 3600 }),
          'token_expired',
        ],
        [
          'signed with an unpublished key',
          () =>
            signJws(
              stranger,
              { ...JSON.parse(Buffer.from(cognitoAccessToken(key).split('.')[1], 'base64url').toString()) },
              { kid: key.kid, alg: 'RS256' },
            ),
          'signature_invalid',
        ],
      ] as [string, () => string, ReasonCode][]
    ).map(([name, build, reason]) => [name, reason, build] as const),
  )('refuses %s → %s', async (_name, reason, build) => {
    expect(await verifier.verify(build())).toMatchObject({ ok: false, reason });
  });
});

describe('createTokenVerifier — never throws', () => {
  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['a number', 42],
    ['an object', { token: 'x' }],
  ])('returns token_malformed for %s', async (_name, input) => {
    const verifier = createTokenVerifier(
      configOf([{ kind: 'keycloak', issuer: 'https://sso.example/realms/x', allowedClients: ['web'] }]),
    );
    expect(await verifier.verify(input as string)).toMatchObject({ ok: false, reason: 'token_malformed' });
  });
});

function tamperPayload(token: string, changes: Record<string, unknown>): string {
  const [h, p, s] = token.split('.');
  const payload = { ...JSON.parse(Buffer.from(p, 'base64url').toString()), ...changes };
  return `${h}.${b64url(JSON.stringify(payload))}.${s}`;
}
