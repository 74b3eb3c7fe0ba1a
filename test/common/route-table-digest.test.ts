/**
 * The route table's digest (common/route-table-digest.ts): a configuration the construct checked at synth
 * carries the digest of its route table, and the authorizer's cold start skips the whole-table checks
 * (common/route-table-checks.ts) only while the table is exactly the one that was checked. Any edit of what
 * those checks read runs them again, so a bad table is refused whether or not it carries a digest.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuthorizerConfig, IssuerConfig } from '../../common/authorizer-config';
import { routeTableChecked, routeTableParts, validateAuthorizerConfig } from '../../common/authorizer-config';
import { checkedAuthorizerConfig } from '../../common/checked-authorizer-config';
import type { Requirement, RouteSpec } from '../../common/route-model';
import { routeTableContent, routeTableDigest } from '../../common/route-table-digest';

const A = 'https://a.example/realms/a';
const B = 'https://b.example/realms/b';
const ISSUERS: IssuerConfig[] = [
  { kind: 'keycloak', issuer: A, allowedClients: ['web'] },
  { kind: 'keycloak', issuer: B, allowedClients: ['web'] },
];

const get = (path: string, requirement?: Requirement): RouteSpec => ({
  method: 'GET',
  path,
  auth: 'keycloak',
  ...(requirement ? { requirement } : {}),
});

/** Accepted with the result cache on: every route scoped to the same issuer, so no Deny splits a caller. */
const GOOD: AuthorizerConfig = {
  version: 1,
  issuers: ISSUERS,
  routes: [
    get('/{proxy+}', { issuers: [A] }),
    get('/a/{x}', { issuers: [A] }),
    get('/a/{x}/b', { issuers: [A] }),
  ],
};

/** The same table with the middle route scoped to the other issuer: its Deny splits a caller. */
const BAD_ROUTES: RouteSpec[] = [
  get('/{proxy+}', { issuers: [A] }),
  get('/a/{x}', { issuers: [B] }),
  get('/a/{x}/b', { issuers: [A] }),
];

/** What validateAuthorizerConfig says of a configuration: `ok`, or every issue. */
function verdict(config: unknown): unknown {
  const r = validateAuthorizerConfig(config);
  return r.ok ? 'ok' : r.issues;
}

/** The digest of a configuration's route table, as the construct stamps it. */
const digestOf = (c: AuthorizerConfig): string => routeTableDigest(routeTableParts({ ...c }));

describe('route table digest', () => {
  it('is the SHA-256 of the routes as written, the cache TTL and the response mode, scopes as issuer positions', () => {
    expect(
      routeTableContent(routeTableParts({ ...GOOD, resultCacheTtlSeconds: 300, responseMode: 'iam' })),
    ).toBe(
      JSON.stringify([
        'keygate-route-table-checks/1',
        [
          { method: 'GET', path: '/{proxy+}', auth: 'keycloak', requirement: { issuers: [{ issuer: 0 }] } },
          { method: 'GET', path: '/a/{x}', auth: 'keycloak', requirement: { issuers: [{ issuer: 0 }] } },
          { method: 'GET', path: '/a/{x}/b', auth: 'keycloak', requirement: { issuers: [{ issuer: 0 }] } },
        ],
        300,
        'iam',
      ]),
    );
    expect(digestOf(GOOD)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is the same for a deploy-time issuer URL and the stand-in the construct checks it with', () => {
    // GIVEN a Cognito pool's URL as checked at synth (a stand-in) and as deployed
    const pool = (userPoolId: string): IssuerConfig => ({
      kind: 'cognito',
      region: 'eu-west-1',
      userPoolId,
      allowedClients: ['app'],
    });
    const url = (id: string) => `https://cognito-idp.eu-west-1.amazonaws.com/${id}`;
    const table = (id: string): AuthorizerConfig => ({
      version: 1,
      issuers: [ISSUERS[0], pool(id)],
      routes: [get('/a', { issuers: [url(id)] }), get('/b', { issuers: [A] })],
    });
    // THEN the digests agree: the checks compare scopes by equality only
    expect(digestOf(table('eu-west-1_Pool0000'))).toBe(digestOf(table('eu-west-1_AbCdEf123')));
    // and a scope naming the other issuer is another table
    expect(digestOf(table('eu-west-1_AbCdEf123'))).not.toBe(
      digestOf({
        ...table('eu-west-1_AbCdEf123'),
        routes: [get('/a', { issuers: [A] }), get('/b', { issuers: [A] })],
      }),
    );
  });

  it('is stamped on a configuration every check accepts, and the stamped one is accepted', () => {
    const stamped = checkedAuthorizerConfig(GOOD);
    expect(stamped).toEqual({ ...GOOD, routeTableDigest: digestOf(GOOD) });
    expect(routeTableChecked({ ...stamped })).toBe(true);
    expect(verdict(stamped)).toBe('ok');
  });

  it('is never stamped on a configuration a check refuses, whatever digest it carries', () => {
    const bad = { ...GOOD, routes: BAD_ROUTES };
    expect(() => checkedAuthorizerConfig(bad)).toThrow(/^routes: GET \/\{proxy\+\} overlaps GET \/a\/\{x\}/);
    expect(() => checkedAuthorizerConfig({ ...bad, routeTableDigest: digestOf(bad) })).toThrow(
      /^routes: GET \/\{proxy\+\} overlaps/,
    );
  });

  it('skips the whole-table checks when it matches: it records a check, and is no signature', () => {
    // GIVEN a bad table stamped with its own digest, as only someone computing it by hand can
    const bad = { ...GOOD, routes: BAD_ROUTES };
    expect(verdict(bad)).toEqual([
      expect.objectContaining({ path: 'routes[0]' }),
      expect.objectContaining({ path: 'routes[1]' }),
    ]);
    // THEN its whole-table checks are not run (docs/security.md: the digest guards against mistakes)
    expect(verdict({ ...bad, routeTableDigest: digestOf(bad) })).toBe('ok');
  });

  it('keeps every check of each route on its own when it matches', () => {
    const broken = { ...GOOD, routes: [get('/a', { issuers: [A], allOf: { clientRoles: ['no-colon'] } })] };
    expect(verdict({ ...broken, routeTableDigest: digestOf(broken) })).toEqual([
      {
        path: 'routes[0].requirement.allOf.clientRoles[0]',
        message: "routes[0].requirement.allOf.clientRoles: 'no-colon' must be written client:role",
      },
    ]);
  });

  it.each<[string, (c: AuthorizerConfig) => AuthorizerConfig]>([
    ['a route scoped to another issuer', (c) => ({ ...c, routes: BAD_ROUTES })],
    [
      'a requirement that binds a parameter',
      (c) => ({
        ...c,
        routes: [
          ...c.routes.slice(0, 2),
          get('/a/{x}/b', { issuers: [A], allOf: { realmRoles: ['r:{x}'] } }),
        ],
      }),
    ],
    [
      'a route added',
      (c) => ({ ...c, routes: [...c.routes, get('/{y}/b', { issuers: [A], anyOf: { groups: ['g'] } })] }),
    ],
    ['the issuers reordered', (c) => ({ ...c, issuers: [...c.issuers].reverse(), routes: BAD_ROUTES })],
    [
      'a requirement with its keys reordered',
      (c) => ({
        ...c,
        routes: [get('/{proxy+}', { issuers: [A] }), get('/a/{x}', { allOf: {}, issuers: [A] }), c.routes[2]],
      }),
    ],
  ])('runs the whole-table checks again after an edit: %s', (_name, edit) => {
    // GIVEN a checked configuration, edited by hand without a new digest
    const checked = checkedAuthorizerConfig(GOOD);
    const edited = edit(checked);
    // THEN it is not the checked table, and it is judged exactly as a configuration without a digest
    expect(routeTableChecked({ ...edited })).toBe(false);
    const plain = { ...edited, routeTableDigest: undefined };
    expect(verdict(edited)).toEqual(verdict(plain));
  });

  it('refuses the bad table of an edited configuration with the checks its own routes fail', () => {
    const edited = { ...checkedAuthorizerConfig(GOOD), routes: BAD_ROUTES };
    expect(verdict(edited)).toEqual([
      expect.objectContaining({
        path: 'routes[0]',
        message: expect.stringMatching(/^routes: GET \/\{proxy\+\} overlaps/),
      }),
      expect.objectContaining({
        path: 'routes[1]',
        message: expect.stringMatching(/^routes: GET \/a\/\{x\} overlaps/),
      }),
    ]);
  });

  it.each([
    ['the result cache turned on', BAD_ROUTES, { resultCacheTtlSeconds: 0 }, { resultCacheTtlSeconds: 300 }],
    [
      'the response mode changed',
      [get('/m/{id}', { issuers: [A], allOf: { realmRoles: ['m:{id}'] } })],
      { responseMode: 'iam' },
      { responseMode: 'simple' },
    ],
  ] as const)('runs the checks again after an edit: %s', (_name, routes, before, after) => {
    // GIVEN a table accepted as checked, then edited where the checks read the cache TTL or response mode
    const checked = checkedAuthorizerConfig({ ...GOOD, routes, ...before });
    expect(verdict(checked)).toBe('ok');
    expect(routeTableChecked({ ...checked, ...after })).toBe(false);
    // THEN it is refused, as without a digest
    expect(verdict({ ...checked, ...after })).toEqual(verdict({ ...GOOD, routes, ...after }));
    expect(verdict({ ...checked, ...after })).not.toBe('ok');
  });

  it.each([
    ['not hex', 'z'.repeat(64)],
    ['too short', 'ab'],
    ['upper case', 'A'.repeat(64)],
    ['a number', 7],
  ])('is refused when it is %s', (_name, routeTableDigest) => {
    expect(verdict({ ...GOOD, routeTableDigest })).toEqual([
      {
        path: 'routeTableDigest',
        message: 'routeTableDigest must be a SHA-256 digest in lower-case hex (64 characters)',
      },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Property: for generated tables, the digest path and the full path accept exactly the same configurations.

const RUNS = Number(process.env.KEYGATE_PROPERTY_RUNS ?? 400);
const PATHS = ['/a', '/a/{x}', '/a/{x}/b', '/{y}/b', '/{proxy+}', '/a/b', '/{id}', '/a/{id}/{proxy+}'];
const ROLES = ['r1', 'r2', 'r:{id}', 'r:{x}'];

const requirementArb: fc.Arbitrary<Requirement | undefined> = fc.option(
  fc
    .record(
      {
        issuers: fc.constantFrom([A], [B], [A, B]),
        allOf: fc.subarray(ROLES, { minLength: 1, maxLength: 2 }).map((realmRoles) => ({ realmRoles })),
        anyOf: fc.subarray(ROLES, { minLength: 1, maxLength: 2 }).map((groups) => ({ groups })),
      },
      { requiredKeys: ['issuers'] },
    )
    .map((r) => r as Requirement),
  { freq: 4 },
);

const routeArb: fc.Arbitrary<RouteSpec> = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'ANY'),
    path: fc.constantFrom(...PATHS),
    requirement: requirementArb,
  })
  .map(({ method, path, requirement }) => ({
    method: method as RouteSpec['method'],
    path,
    auth: 'keycloak',
    // Several issuers are trusted: every keycloak route names its scope (a scope-less one is refused).
    requirement: requirement ?? { issuers: [A] },
  }));

const configArb: fc.Arbitrary<AuthorizerConfig> = fc
  .record({
    routes: fc.uniqueArray(routeArb, {
      minLength: 1,
      maxLength: 5,
      selector: (r) => `${r.method} ${r.path}`,
    }),
    ttl: fc.constantFrom(undefined, 0, 300),
    responseMode: fc.constantFrom(undefined, 'iam', 'simple'),
  })
  .map(({ routes, ttl, responseMode }) => ({
    version: 1,
    issuers: ISSUERS,
    routes,
    ...(ttl !== undefined ? { resultCacheTtlSeconds: ttl } : {}),
    ...(responseMode !== undefined ? { responseMode: responseMode as 'iam' | 'simple' } : {}),
  }));

/** One edit a hand may make to a configuration: of its routes, requirements, issuers, TTL or mode. */
const editArb: fc.Arbitrary<(c: AuthorizerConfig) => AuthorizerConfig> = fc.oneof(
  routeArb.map((r) => (c: AuthorizerConfig) => ({ ...c, routes: [...c.routes, r] })),
  fc.nat().map((n) => (c: AuthorizerConfig) => ({
    ...c,
    routes: c.routes.filter((_, i) => i !== n % c.routes.length),
  })),
  fc.tuple(fc.nat(), requirementArb).map(([n, req]) => (c: AuthorizerConfig) => ({
    ...c,
    routes: c.routes.map((r, i) =>
      i === n % c.routes.length ? { ...r, requirement: req ?? { issuers: [B] } } : r,
    ),
  })),
  fc.constant((c: AuthorizerConfig) => ({ ...c, issuers: [...c.issuers].reverse() })),
  fc
    .constantFrom(undefined, 0, 300)
    .map((ttl) => (c: AuthorizerConfig) => ({ ...c, resultCacheTtlSeconds: ttl })),
  fc
    .constantFrom<'iam' | 'simple'>('iam', 'simple')
    .map((responseMode) => (c: AuthorizerConfig) => ({ ...c, responseMode })),
);

describe('property: the digest path and the full path accept exactly the same configurations', () => {
  it('a generated table is stamped exactly when every check accepts it, and is then accepted', () => {
    let stamped = 0;
    fc.assert(
      fc.property(configArb, (config) => {
        const full = verdict(config);
        if (full !== 'ok') {
          expect(() => checkedAuthorizerConfig(config)).toThrow();
          return;
        }
        stamped++;
        const checked = checkedAuthorizerConfig(config);
        expect(routeTableChecked({ ...checked })).toBe(true);
        expect(verdict(checked)).toBe('ok');
      }),
      { numRuns: RUNS },
    );
    // Both sides of the property were exercised.
    expect(stamped).toBeGreaterThan(RUNS / 20);
    expect(stamped).toBeLessThan(RUNS);
  });

  it('an edited table with the digest of the checked one is judged exactly as without a digest', () => {
    let refused = 0;
    let changed = 0;
    fc.assert(
      fc.property(configArb, editArb, (config, edit) => {
        fc.pre(verdict(config) === 'ok');
        const checked = checkedAuthorizerConfig(config);
        const edited = edit(checked);
        const plain = { ...edited, routeTableDigest: undefined };
        // The same table: nothing the whole-table checks read was changed (compared as written).
        const read = (c: AuthorizerConfig) =>
          JSON.stringify([c.routes, c.issuers, c.resultCacheTtlSeconds, c.responseMode]);
        const same = read(plain) === read(config);
        // Only the checked table itself skips the whole-table checks ...
        expect(routeTableChecked({ ...edited })).toBe(same);
        if (same) return;
        changed++;
        // ... any other is judged as a configuration without a digest.
        const full = verdict(plain);
        if (full !== 'ok') refused++;
        expect(verdict(edited)).toEqual(full);
      }),
      { numRuns: RUNS },
    );
    expect(changed).toBeGreaterThan(RUNS / 4);
    expect(refused).toBeGreaterThan(0);
  });
});
