/**
 * Requirements scoped to issuers: the route model (meetsRequirement, grantsFor), the authorizer config's
 * validation, and whose client roles count (claimsToPrincipal with roleClients).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuthorizerConfig, IssuerConfig } from '../../common/authorizer-config';
import { AUTHORIZER_CONFIG_ENV, validateSessionBlock } from '../../common/authorizer-config';
import { validateAuthorizerConfig } from '../../common/authorizer-config-validate';
import type { Principal, Requirement, RouteSpec } from '../../common/route-model';
import { grantsFor, meetsRequirement, validateRoutes } from '../../common/route-model';
import { claimsToPrincipal } from '../../lambda/authorizer/claims-to-principal';
import { loadConfig } from '../../lambda/authorizer/load-config';

const A = 'https://sso.example.com/realms/a';
const B = 'https://sso.partner.example/realms/b';
const C = 'https://sso.example.com/realms/c';

const realm = (issuer: string, extra: Partial<IssuerConfig> = {}): IssuerConfig =>
  ({ kind: 'keycloak', issuer, allowedClients: ['web'], ...extra }) as IssuerConfig;

function config(issuers: IssuerConfig[], routes: RouteSpec[]): unknown {
  return { version: 1, issuers, routes } satisfies AuthorizerConfig;
}

const errorsOf = (input: unknown): string[] => {
  const r = validateAuthorizerConfig(input);
  return r.ok ? [] : r.errors;
};

describe('meetsRequirement with an issuer scope', () => {
  const admin: Requirement = { anyOf: { realmRoles: ['admin'] }, issuers: [A] };
  const holder = (issuer?: string): Principal => ({
    sub: 'u',
    ...(issuer !== undefined ? { issuer } : {}),
    realmRoles: ['admin'],
    clientRoles: [],
    scopes: [],
    groups: [],
  });

  it.each([
    ['the issuer in scope', A, true],
    ['another trusted issuer', B, false],
    ['an issuer that differs by a trailing slash', `${A}/`, false],
    ['no issuer at all (fail closed)', undefined, false],
  ])('%s', (_n, issuer, expected) => {
    expect(meetsRequirement(admin, holder(issuer))).toBe(expected);
  });

  it('an unscoped requirement is met from any issuer (one trusted issuer)', () => {
    expect(meetsRequirement({ anyOf: { realmRoles: ['admin'] } }, holder(B))).toBe(true);
  });

  it('a scope alone means any valid token of those issuers', () => {
    expect(meetsRequirement({ issuers: [A, C] }, holder(C))).toBe(true);
    expect(meetsRequirement({ issuers: [A, C] }, holder(B))).toBe(false);
  });
});

describe('property: no principal of issuer B meets, or is granted, a route scoped to other issuers', () => {
  const names = ['admin', 'model:{modelId}:invoke', 'reader', 'keygate-api:admin', '/team/ml'];
  const entitlements = fc.record(
    {
      realmRoles: fc.subarray(names.filter((n) => !n.startsWith('/'))),
      clientRoles: fc.subarray(['keygate-api:admin', 'keygate-api:model:{modelId}:invoke']),
      scopes: fc.subarray(['openid', 'reader']),
      groups: fc.subarray(['/team/ml']),
    },
    { requiredKeys: [] },
  );
  const requirement = fc.record(
    {
      allOf: entitlements,
      anyOf: entitlements,
      issuers: fc.constantFrom([A], [A, C], [C]),
    },
    { requiredKeys: ['issuers'] },
  );
  const heldValues = [
    'admin',
    'reader',
    'model:cheap:invoke',
    'model:expensive:invoke',
    'keygate-api:admin',
    'keygate-api:model:cheap:invoke',
    'openid',
    '/team/ml',
  ];
  const principalOfB = fc.record({
    realmRoles: fc.subarray(heldValues),
    clientRoles: fc.subarray(heldValues.filter((v) => v.includes(':'))),
    scopes: fc.subarray(heldValues),
    groups: fc.subarray(heldValues),
  });

  it('holds for every generated requirement and principal', () => {
    fc.assert(
      fc.property(requirement, principalOfB, fc.constantFrom('cheap', 'expensive'), (req, held, modelId) => {
        const principal: Principal = { sub: 'intruder', issuer: B, ...held };
        const routes: RouteSpec[] = [
          { method: 'POST', path: '/models/{modelId}/invoke', auth: 'keycloak', requirement: req },
          { method: 'GET', path: '/admin', auth: 'keycloak', requirement: { ...req, allOf: undefined } },
        ];
        expect(meetsRequirement(req, principal, { modelId })).toBe(false);
        expect(grantsFor(routes, principal).allow).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('authorizer config: issuer scopes', () => {
  const route = (requirement?: Requirement): RouteSpec => ({
    method: 'GET',
    path: '/admin',
    auth: 'keycloak',
    ...(requirement ? { requirement } : {}),
  });

  it('with one issuer, a route may leave the scope out', () => {
    expect(errorsOf(config([realm(A)], [route({ anyOf: { realmRoles: ['admin'] } })]))).toEqual([]);
  });

  it('with several issuers, refuses an unscoped route, naming it and the fix', () => {
    expect(errorsOf(config([realm(A), realm(B)], [route()]))).toEqual([
      `routes[0] (GET /admin): several issuers are trusted, so the requirement must name the issuers whose tokens may meet it: set requirement.issuers, e.g. ['${A}']`,
    ]);
  });

  it('refuses an issuer in a scope that is not trusted', () => {
    expect(errorsOf(config([realm(A), realm(B)], [route({ issuers: [C] })]))).toEqual([
      `routes[0] (GET /admin).requirement.issuers: '${C}' is not a trusted issuer (${A}, ${B})`,
    ]);
  });

  it('names the Cognito issuer by its regional URL', () => {
    const pool: IssuerConfig = {
      kind: 'cognito',
      region: 'eu-west-1',
      userPoolId: 'eu-west-1_AbCdEf123',
      allowedClients: ['c1'],
    };
    const url = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123';
    expect(errorsOf(config([realm(A), pool], [route({ issuers: [url] })]))).toEqual([]);
  });

  it.each([
    [[], 'routes[0].requirement.issuers must be a non-empty list of issuer URLs'],
    [[A, A], 'routes[0].requirement.issuers lists an issuer twice'],
    ['https://x', 'routes[0].requirement.issuers must be a non-empty list of issuer URLs'],
  ])('refuses the scope %j', (issuers, message) => {
    expect(validateRoutes([route({ issuers } as unknown as Requirement)])).toEqual([message]);
  });

  it('refuses a client role that no issuer in scope counts (several issuers: only roleClients count)', () => {
    const routes = [route({ anyOf: { clientRoles: ['keygate-api:admin'] }, issuers: [B] })];
    expect(errorsOf(config([realm(A, { roleClients: ['keygate-api'] }), realm(B)], routes))).toEqual([
      "routes[0] (GET /admin).requirement.anyOf.clientRoles: 'keygate-api:admin' can never be met: no issuer in scope counts roles of client 'keygate-api'; add it to that issuer's roleClients",
    ]);
    expect(errorsOf(config([realm(A), realm(B, { roleClients: ['keygate-api'] })], routes))).toEqual([]);
  });

  it('refuses roleClients that are not client ids', () => {
    expect(errorsOf(config([realm(A, { roleClients: ['a:b'] })], []))).toEqual([
      "issuers[0].roleClients must be a list of client ids (no ':', '/', '*', '?' or whitespace)",
    ]);
  });
});

describe('claimsToPrincipal: whose client roles count', () => {
  const claims = {
    sub: 'u',
    exp: 2_000_000_000,
    azp: 'web',
    realm_access: { roles: ['admin'] },
    resource_access: {
      'keygate-api': { roles: ['admin'] },
      'partner-api': { roles: ['reader'] },
    },
  };

  it.each([
    ['every client when roleClients is not set', undefined, ['keygate-api:admin', 'partner-api:reader']],
    ['only the listed clients', ['partner-api'], ['partner-api:reader']],
    ['none for an empty list', [], []],
  ])('Keycloak: %s', (_n, roleClients, expected) => {
    const issuer = realm(B, roleClients ? { roleClients } : {});
    const r = claimsToPrincipal(claims, issuer, B);
    expect(r.ok && r.principal.clientRoles).toEqual(expected);
    expect(r.ok && r.principal.issuer).toBe(B);
    expect(r.ok && r.principal.realmRoles).toEqual(['admin']);
  });

  it('Cognito: only `client:role` entries of the listed clients count as client roles', () => {
    const pool: IssuerConfig = {
      kind: 'cognito',
      region: 'eu-west-1',
      userPoolId: 'eu-west-1_AbCdEf123',
      allowedClients: ['c1'],
      roleClients: ['keygate-api'],
    };
    const r = claimsToPrincipal(
      {
        sub: 'u',
        exp: 2_000_000_000,
        client_id: 'c1',
        keygate_roles: ['model-user', 'keygate-api:admin', 'other:admin'],
      },
      pool,
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123',
    );
    expect(r.ok && r.principal.clientRoles).toEqual(['keygate-api:admin']);
  });

  it('the same claims from two issuers are two principals with their own issuer', () => {
    const one = claimsToPrincipal(claims, realm(A), A);
    const two = claimsToPrincipal(claims, realm(B), B);
    expect(one.ok && two.ok && one.principal.profile !== two.principal.profile).toBe(true);
    expect([one.ok && one.principal.issuer, two.ok && two.principal.issuer]).toEqual([A, B]);
  });
});

describe('the cold-start check of the authorizer', () => {
  it('loads an unscoped route with two issuers as config_invalid, naming the route', () => {
    const value = JSON.stringify(
      config([realm(A), realm(B)], [{ method: 'GET', path: '/admin', auth: 'keycloak' }]),
    );
    expect(loadConfig({ [AUTHORIZER_CONFIG_ENV]: value }, validateSessionBlock)).toEqual({
      ok: false,
      errors: [
        `${AUTHORIZER_CONFIG_ENV}: routes[0] (GET /admin): several issuers are trusted, so the requirement must name the issuers whose tokens may meet it: set requirement.issuers, e.g. ['${A}']`,
      ],
    });
  });
});
