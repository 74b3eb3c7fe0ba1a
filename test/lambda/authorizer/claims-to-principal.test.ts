import { describe, expect, it } from 'vitest';
import type { IssuerConfig } from '../../../common/authorizer-config';
import { claimsToPrincipal } from '../../../lambda/authorizer/claims-to-principal';
import { cognitoAccessClaims, keycloakAccessClaims } from '../../support/tokens';

const ISS = 'https://sso.example.com/realms/ml';
const keycloak: IssuerConfig = { kind: 'keycloak', issuer: ISS, allowedClients: ['web'] };
const cognito: IssuerConfig = {
  kind: 'cognito',
  userPoolId: 'eu-west-1_TestPool1',
  region: 'eu-west-1',
  allowedClients: ['c'],
};
const COGNITO_ISS = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool1';

const kc = (extra: Record<string, unknown> = {}) => keycloakAccessClaims({ issuer: ISS, extra });
const principalOf = (claims: Record<string, unknown>, issuer: IssuerConfig = keycloak, url = ISS) => {
  const result = claimsToPrincipal(claims, issuer, url);
  if (!result.ok) throw new Error(`expected a principal, got ${result.detail}`);
  return result.principal;
};

describe('claimsToPrincipal — Keycloak', () => {
  it('maps realm roles, client roles as client:role, scopes and group paths', () => {
    const p = principalOf(
      kc({
        realm_access: { roles: ['reader', 'model:sentiment:invoke'] },
        resource_access: { 'keygate-api': { roles: ['model-user'] }, account: { roles: ['view-profile'] } },
        scope: 'openid  profile orders.read',
        groups: ['/ml/team-a', 'flat'],
        exp: 1_900_000_000,
        iat: 1_899_999_700,
        sid: 'sid-1',
      }),
    );
    expect(p).toEqual({
      sub: 'f1a2b3c4-0000-4000-8000-000000000001',
      username: 'alice',
      clientId: 'web',
      issuer: ISS,
      tokenKind: 'keycloak-user',
      expiresAt: 1_900_000_000,
      issuedAt: 1_899_999_700,
      sessionId: 'sid-1',
      realmRoles: ['reader', 'model:sentiment:invoke'],
      clientRoles: ['keygate-api:model-user', 'account:view-profile'],
      scopes: ['openid', 'profile', 'orders.read'],
      groups: ['/ml/team-a', 'flat'],
      profile: {
        realmRoles: ['reader', 'model:sentiment:invoke'],
        clientRoles: ['keygate-api:model-user', 'account:view-profile'],
        scopes: ['openid', 'profile', 'orders.read'],
        groups: ['/ml/team-a', 'flat'],
      },
      // Keycloak's acr without an acrLoaMap: kept, with no level (meets no minLoa).
      assurance: { acr: '1', amr: [] },
    });
    // The lists are the profile's own.
    expect(p.realmRoles).toBe(p.profile?.realmRoles);
  });

  it('accepts a token without any role, scope or group claim', () => {
    const claims = kc();
    delete claims.realm_access;
    delete claims.resource_access;
    delete claims.scope;
    delete claims.preferred_username;
    expect(principalOf(claims)).toMatchObject({
      realmRoles: [],
      clientRoles: [],
      scopes: [],
      groups: [],
      username: claims.sub,
    });
  });

  it.each([
    ['client_id', { client_id: 'batch' }],
    ['clientId (older Keycloak)', { clientId: 'batch' }],
  ])('recognises a service account by its username prefix and %s', (_name, extra) => {
    const p = principalOf(kc({ preferred_username: 'service-account-batch', azp: 'batch', ...extra }));
    expect(p).toMatchObject({ tokenKind: 'keycloak-service-account', clientId: 'batch' });
  });

  it('treats a service-account-like username without a client id claim as a user', () => {
    expect(principalOf(kc({ preferred_username: 'service-account-batch' }))).toMatchObject({
      tokenKind: 'keycloak-user',
    });
  });

  it('refuses a service-account token whose client_id differs from azp', () => {
    expect(
      claimsToPrincipal(
        kc({ preferred_username: 'service-account-a', azp: 'a', client_id: 'b' }),
        keycloak,
        ISS,
      ),
    ).toMatchObject({
      ok: false,
      reason: 'claims_malformed',
    });
  });

  it.each([
    ['*', 'model:*:invoke'],
    ['/', 'model:a/b:invoke'],
    ['a space', 'model: invoke'],
    ['a tab', 'a\tb'],
    ['a newline', 'a\nb'],
    ['a NUL', 'a\u0000'],
    ['a DEL', 'a\u007f'],
    ['?', 'model:?:invoke'],
    ['a no-break space', 'a\u00a0b'],
    ['empty', ''],
    ['256 characters', 'r'.repeat(256)],
  ])('drops a realm role containing %s', (_name, role) => {
    const p = principalOf(kc({ realm_access: { roles: [role, 'ok'] } }));
    expect(p.realmRoles).toEqual(['ok']);
  });

  it('drops unsafe client roles and clients whose id would make client:role ambiguous', () => {
    const p = principalOf(
      kc({
        resource_access: {
          api: { roles: ['ok', 'a*', 'x/y'] },
          'urn:api': { roles: ['admin'] },
          'bad client': { roles: ['admin'] },
          'api*': { roles: ['admin'] },
        },
      }),
    );
    expect(p.clientRoles).toEqual(['api:ok']);
  });

  it('keeps group paths with / but drops groups with *, whitespace or control characters', () => {
    const p = principalOf(kc({ groups: ['/a/b', '/a/*', '/Data Science', '/x\u0000'] }));
    expect(p.groups).toEqual(['/a/b']);
  });

  it('drops scopes with unsafe characters and de-duplicates', () => {
    expect(principalOf(kc({ scope: 'a a orders/* b' })).scopes).toEqual(['a', 'b']);
  });

  it.each<[string, Record<string, unknown>]>([
    ['realm_access a list', { realm_access: ['a'] }],
    ['realm_access a string', { realm_access: 'a' }],
    ['realm_access.roles a string', { realm_access: { roles: 'a' } }],
    ['realm_access.roles with an object', { realm_access: { roles: [{ name: 'a' }] } }],
    ['resource_access a list', { resource_access: [] }],
    ['resource_access.<client> a list', { resource_access: { api: ['a'] } }],
    ['resource_access.<client> null', { resource_access: { api: null } }],
    ['resource_access.<client>.roles a string', { resource_access: { api: { roles: 'a' } } }],
    ['groups a string', { groups: '/a' }],
    ['groups with a number', { groups: ['/a', 1] }],
    ['scope a list', { scope: ['a'] }],
    ['preferred_username a list', { preferred_username: ['alice'] }],
    ['azp a number', { azp: 1 }],
    ['client_id a number', { client_id: 1 }],
  ])('refuses %s with claims_malformed', (_name, extra) => {
    expect(claimsToPrincipal(kc(extra), keycloak, ISS)).toMatchObject({
      ok: false,
      reason: 'claims_malformed',
    });
  });

  it.each<[string, Record<string, unknown>]>([
    ['realm_access null', { realm_access: null }],
    ['resource_access null', { resource_access: null }],
    ['groups null', { groups: null }],
    ['scope null', { scope: null }],
  ])('refuses %s even after the same token without the claim was accepted', (_name, extra) => {
    // Absent and null serialize alike as JSON list items; the profile key must still tell them apart.
    const claims = kc();
    for (const k of Object.keys(extra)) delete claims[k];
    expect(claimsToPrincipal(claims, keycloak, ISS)).toMatchObject({ ok: true });
    expect(claimsToPrincipal({ ...claims, ...extra }, keycloak, ISS)).toMatchObject({
      ok: false,
      reason: 'claims_malformed',
    });
  });

  it('shares one profile between tokens with the same entitlement claims, and only between those', () => {
    const entitlements = {
      realm_access: { roles: ['reader'] },
      resource_access: { api: { roles: ['admin'] } },
      scope: 'openid orders.read',
      groups: ['/ml'],
    };
    const alice = principalOf(kc({ ...entitlements, sub: 'alice', preferred_username: 'alice' }));
    const bob = principalOf(kc({ ...entitlements, sub: 'bob', preferred_username: 'bob', azp: 'web' }));
    expect(bob.profile).toBe(alice.profile);
    expect(bob).toMatchObject({ sub: 'bob', username: 'bob' });
    for (const other of [
      { realm_access: { roles: ['reader', 'writer'] } },
      { resource_access: { api: { roles: ['admin'] }, other: { roles: ['x'] } } },
      { scope: 'openid' },
      { groups: ['/ml', '/ops'] },
    ]) {
      const p = principalOf(kc({ ...entitlements, ...other }));
      expect(p.profile).not.toBe(alice.profile);
    }
  });
});

describe('claimsToPrincipal — Cognito', () => {
  const cg = (o: Parameters<typeof cognitoAccessClaims>[0] = {}) => cognitoAccessClaims(o);

  it('maps username, client_id, cognito:groups and scopes', () => {
    const p = principalOf(
      cg({ groups: ['eu-west-1_TestPool1_Keycloak'], scope: 'openid email' }),
      cognito,
      COGNITO_ISS,
    );
    expect(p).toMatchObject({
      username: 'keycloak_alice',
      clientId: 'cognitoclient1',
      issuer: COGNITO_ISS,
      tokenKind: 'cognito',
      groups: ['eu-west-1_TestPool1_Keycloak'],
      scopes: ['openid', 'email'],
      realmRoles: [],
      clientRoles: [],
    });
  });

  it('reads the flat roles list the trigger writes: every entry a realm role, client:role also a client role', () => {
    const p = principalOf(
      cg({ roles: ['model-user', 'model:sentiment:invoke', 'keygate-api:model-user'] }),
      cognito,
      COGNITO_ISS,
    );
    expect(p.realmRoles).toEqual(['model-user', 'model:sentiment:invoke', 'keygate-api:model-user']);
    expect(p.clientRoles).toEqual(['model:sentiment:invoke', 'keygate-api:model-user']);
  });

  it('reads a space-separated roles string', () => {
    expect(principalOf(cg({ roles: 'a b a' }), cognito, COGNITO_ISS).realmRoles).toEqual(['a', 'b']);
  });

  it('reads the structured roles object', () => {
    const p = principalOf(
      cg({ roles: { realm: ['a'], clients: { api: ['admin', 'x*'], 'u:rn': ['b'] } } }),
      cognito,
      COGNITO_ISS,
    );
    expect(p.realmRoles).toEqual(['a']);
    expect(p.clientRoles).toEqual(['api:admin']);
  });

  it('drops unsafe roles from the flat list', () => {
    expect(
      principalOf(cg({ roles: ['ok', 'model:*:invoke', 'a/b'] }), cognito, COGNITO_ISS).realmRoles,
    ).toEqual(['ok']);
  });

  it.each<[string, unknown]>([
    ['a number', 1],
    ['a boolean', true],
    ['a list with a number', ['a', 1]],
    ['an object with realm a string', { realm: 'a' }],
    ['an object with clients a list', { clients: ['a'] }],
    ['an object with a client list of numbers', { clients: { api: [1] } }],
  ])('refuses a roles claim that is %s', (_name, roles) => {
    expect(claimsToPrincipal(cg({ roles }), cognito, COGNITO_ISS)).toMatchObject({
      ok: false,
      reason: 'claims_malformed',
    });
  });
});

describe('claimsToPrincipal — client roles scoped to the issuer (roleClients), and claim shapes', () => {
  it('Keycloak: counts only the roles of the listed clients', () => {
    const p = principalOf(
      kc({
        resource_access: { 'keygate-api': { roles: ['admin'] }, partner: { roles: ['admin'] } },
      }),
      { ...keycloak, roleClients: ['keygate-api'] },
    );
    expect(p.clientRoles).toEqual(['keygate-api:admin']);
  });

  it('Cognito, flat roles claim: every name stays a realm role; client roles only of the listed clients', () => {
    const p = principalOf(
      cognitoAccessClaims({ extra: { keygate_roles: 'keygate-api:admin partner:admin reader' } }),
      { ...cognito, roleClients: ['keygate-api'] },
      COGNITO_ISS,
    );
    expect([p.realmRoles, p.clientRoles]).toEqual([
      ['keygate-api:admin', 'partner:admin', 'reader'],
      ['keygate-api:admin'],
    ]);
  });

  it('Cognito, structured roles claim: client roles only of the listed clients', () => {
    const p = principalOf(
      cognitoAccessClaims({
        extra: { keygate_roles: { realm: ['r'], clients: { 'keygate-api': ['admin'], partner: ['admin'] } } },
      }),
      { ...cognito, roleClients: ['keygate-api'] },
      COGNITO_ISS,
    );
    expect([p.realmRoles, p.clientRoles]).toEqual([['r'], ['keygate-api:admin']]);
  });

  it.each([
    ['clients is not an object', { realm: [], clients: 5 }, 'keygate_roles.clients is not an object'],
    [
      'a clients entry mixes strings and numbers',
      { realm: [], clients: { api: ['a', 1] } },
      'keygate_roles.clients entry is not a list of strings',
    ],
  ])('Cognito: refuses a roles claim whose %s', (_name, roles, detail) => {
    expect(
      claimsToPrincipal(cognitoAccessClaims({ extra: { keygate_roles: roles } }), cognito, COGNITO_ISS),
    ).toEqual({ ok: false, reason: 'claims_malformed', detail });
  });

  it('Keycloak: a service-account token without azp is the service account named by client_id', () => {
    const p = principalOf(
      kc({ preferred_username: 'service-account-batch', client_id: 'batch', azp: undefined }),
    );
    expect([p.tokenKind, p.clientId]).toEqual(['keycloak-service-account', 'batch']);
  });
});

describe('claimsToPrincipal — exact edges', () => {
  const cognitoOf = (extra: Record<string, unknown>, issuer: IssuerConfig = cognito) =>
    principalOf(cognitoAccessClaims({ extra }), issuer, COGNITO_ISS);

  it('keeps an entitlement of exactly 255 characters and drops one of 256', () => {
    const p = principalOf(
      kc({
        realm_access: { roles: ['r'.repeat(255), 'r'.repeat(256)] },
        groups: ['/'.padEnd(255, 'g'), '/'.padEnd(256, 'g')],
      }),
    );
    expect([p.realmRoles, p.groups]).toEqual([['r'.repeat(255)], ['/'.padEnd(255, 'g')]]);
  });

  it('Cognito: drops cognito:groups with *, whitespace or control characters, keeps the others', () => {
    const p = cognitoOf({ 'cognito:groups': ['ok', 'a*b', 'a b', 'x\u0000', '/path/ok'] });
    expect(p.groups).toEqual(['ok', '/path/ok']);
  });

  it('Cognito, structured roles claim: drops unsafe realm roles; a claim without clients has no client roles', () => {
    const p = cognitoOf({ keygate_roles: { realm: ['ok', 'a*', 'a/b', 'ok'] } });
    expect([p.realmRoles, p.clientRoles]).toEqual([['ok'], []]);
  });

  it('Cognito, flat roles claim: a name without a role part (`api:`) or without a client (`:admin`) is no client role', () => {
    const p = cognitoOf({ keygate_roles: ['api:', ':admin', 'api:admin', 'plain'] });
    expect([p.realmRoles, p.clientRoles]).toEqual([['api:', ':admin', 'api:admin', 'plain'], ['api:admin']]);
  });

  it('Cognito, flat roles claim: the client is the part before the first `:`', () => {
    const p = cognitoOf({ keygate_roles: ['api:x:y', 'other:api:z'] }, { ...cognito, roleClients: ['api'] });
    expect(p.clientRoles).toEqual(['api:x:y']);
  });

  it('an unexpected error is not a claims_malformed refusal: it is thrown (the pipeline denies it as internal)', () => {
    // JSON cannot hold a BigInt; only a caller passing claims that JSON.parse did not produce gets here.
    expect(() => claimsToPrincipal(kc({ groups: [10n] }), keycloak, ISS)).toThrow(TypeError);
  });
});

describe('claimsToPrincipal — absent claims, iat and cnf', () => {
  // A fresh issuer URL per test: the profile of these claims is normalized here, not taken from another test.
  let n = 0;
  const fresh = () => `${ISS}-fresh-${++n}`;

  it('Keycloak: absent realm_access and groups give empty lists', () => {
    const claims = kc({ scope: 'only' });
    delete claims.realm_access;
    delete claims.groups;
    const result = claimsToPrincipal(claims, keycloak, fresh());
    expect(result.ok && [result.principal.realmRoles, result.principal.groups]).toEqual([[], []]);
  });

  it.each<[string, IssuerConfig, Record<string, unknown>]>([
    ['Keycloak', keycloak, kc()],
    ['Cognito', cognito, cognitoAccessClaims()],
  ])('%s: issuedAt is iat when a number, and absent otherwise', (_name, issuer, claims) => {
    const at = (iat: unknown) => {
      const r = claimsToPrincipal({ ...claims, iat }, issuer, fresh());
      return r.ok ? r.principal.issuedAt : 'refused';
    };
    expect([at(1_899_999_700), at('1899999700'), at(undefined)]).toEqual([
      1_899_999_700,
      undefined,
      undefined,
    ]);
  });

  it('carries the token confirmation (cnf) when present, and no cnf member otherwise', () => {
    const jkt = 'A'.repeat(43);
    const withCnf = principalOf(kc({ cnf: { jkt } }));
    expect(withCnf.cnf).toEqual({ jkt });
    expect('cnf' in principalOf(kc())).toBe(false);
  });
});
