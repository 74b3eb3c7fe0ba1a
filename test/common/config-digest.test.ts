/**
 * The configuration's digest (common/config-digest.ts): a configuration the construct checked at synth
 * carries the digest of its checked content, and the authorizer's cold start skips the checks of that
 * content (common/config-checks.ts) only while it is exactly the content that was checked. Any edit of it
 * runs every check again, so a bad configuration is refused whether or not it carries a digest. What the
 * content leaves out (the optional blocks, a Cognito issuer's deploy-time values) is checked every time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuthorizerConfig, IssuerConfig } from '../../common/authorizer-config';
import {
  authorizerConfigContent,
  authorizerConfigDigest,
  configChecked,
} from '../../common/authorizer-config';
import { validateAuthorizerConfig } from '../../common/authorizer-config-validate';
import { checkedAuthorizerConfig } from '../../common/checked-authorizer-config';
import type { Requirement, RouteSpec } from '../../common/route-model';

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

/** The digest of a configuration, as the construct stamps it. */
const digestOf = (c: AuthorizerConfig): string => authorizerConfigDigest(c);

const pool = (userPoolId: string, region = 'eu-west-1', client = 'app'): IssuerConfig => ({
  kind: 'cognito',
  region,
  userPoolId,
  allowedClients: [client],
});
const poolUrl = (id: string, region = 'eu-west-1') => `https://cognito-idp.${region}.amazonaws.com/${id}`;

describe('configuration digest', () => {
  it('is the SHA-256 of every field as written, scopes as issuer positions', () => {
    const config = { ...GOOD, resultCacheTtlSeconds: 300, responseMode: 'iam' as const };
    expect(authorizerConfigContent(config)).toBe(
      JSON.stringify([
        'keygate-config-checks/1',
        {
          version: 1,
          issuers: ISSUERS,
          routes: [
            { method: 'GET', path: '/{proxy+}', auth: 'keycloak', requirement: { issuers: [{ issuer: 0 }] } },
            { method: 'GET', path: '/a/{x}', auth: 'keycloak', requirement: { issuers: [{ issuer: 0 }] } },
            { method: 'GET', path: '/a/{x}/b', auth: 'keycloak', requirement: { issuers: [{ issuer: 0 }] } },
          ],
          resultCacheTtlSeconds: 300,
          responseMode: 'iam',
        },
      ]),
    );
    expect(digestOf(GOOD)).toMatch(/^[0-9a-f]{64}$/);
    // the digest itself is no part of the content
    expect(authorizerConfigContent({ ...GOOD, configDigest: digestOf(GOOD) })).toBe(
      authorizerConfigContent(GOOD),
    );
  });

  it("leaves out a Cognito issuer's deploy-time values: the same for the stand-in checked at synth and the deployed pool", () => {
    // GIVEN a Cognito pool as checked at synth (stand-ins) and as deployed
    const table = (id: string, region: string, client: string): AuthorizerConfig => ({
      version: 1,
      issuers: [ISSUERS[0], pool(id, region, client)],
      routes: [get('/a', { issuers: [poolUrl(id, region)] }), get('/b', { issuers: [A] })],
    });
    // THEN the digests agree
    expect(digestOf(table('us-east-1_Pool0000', 'us-east-1', 'client0'))).toBe(
      digestOf(table('eu-west-1_AbCdEf123', 'eu-west-1', '4example0client')),
    );
    // and a scope naming the other issuer is other content
    expect(digestOf(table('eu-west-1_AbCdEf123', 'eu-west-1', 'app'))).not.toBe(
      digestOf({
        ...table('eu-west-1_AbCdEf123', 'eu-west-1', 'app'),
        routes: [get('/a', { issuers: [A] }), get('/b', { issuers: [A] })],
      }),
    );
  });

  it('leaves out the content of the blocks checked by their own modules, not whether each is there', () => {
    const withSession = (cookieName: string): AuthorizerConfig => ({
      ...GOOD,
      resultCacheTtlSeconds: 0,
      session: { keysSecretId: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:keys', cookieName },
    });
    expect(digestOf(withSession('a'))).toBe(digestOf(withSession('b')));
    expect(digestOf(withSession('a'))).not.toBe(digestOf({ ...GOOD, resultCacheTtlSeconds: 0 }));
  });

  it('is stamped on a configuration every check accepts, and the stamped one is accepted', () => {
    const stamped = checkedAuthorizerConfig(GOOD);
    expect(stamped).toEqual({ ...GOOD, configDigest: digestOf(GOOD) });
    expect(configChecked({ ...stamped })).toBe(true);
    expect(verdict(stamped)).toBe('ok');
  });

  it('is never stamped on a configuration a check refuses, whatever digest it carries', () => {
    const bad = { ...GOOD, routes: BAD_ROUTES };
    expect(() => checkedAuthorizerConfig(bad)).toThrow(/^routes: GET \/\{proxy\+\} overlaps GET \/a\/\{x\}/);
    expect(() => checkedAuthorizerConfig({ ...bad, configDigest: digestOf(bad) })).toThrow(
      /^routes: GET \/\{proxy\+\} overlaps/,
    );
  });

  it.each<[string, AuthorizerConfig]>([
    ['a route table the result cache cannot express', { ...GOOD, routes: BAD_ROUTES }],
    [
      'a Keycloak issuer over http',
      {
        ...GOOD,
        issuers: [
          { kind: 'keycloak', issuer: 'http://a.example/realms/a', allowedClients: ['web'] },
          ISSUERS[1],
        ],
      },
    ],
    [
      'a client role not written client:role',
      { ...GOOD, routes: [get('/a', { issuers: [A], allOf: { clientRoles: ['no-colon'] } })] },
    ],
  ])(
    'skips the checks of its content when it matches: it records a check, and is no signature (%s)',
    (_name, bad) => {
      // GIVEN a bad configuration stamped with its own digest, as only someone computing it by hand can
      expect(verdict(bad)).not.toBe('ok');
      // THEN its checks are not run (docs/security.md: the digest guards against mistakes)
      expect(verdict({ ...bad, configDigest: digestOf(bad) })).toBe('ok');
    },
  );

  it("keeps checking what the content leaves out when it matches: a Cognito issuer's deployed values, the blocks", () => {
    // GIVEN a checked configuration with a Cognito issuer and a session block
    const config: AuthorizerConfig = {
      version: 1,
      issuers: [ISSUERS[0], pool('eu-west-1_AbCdEf123')],
      routes: [get('/a', { issuers: [A] }), get('/b', { issuers: [poolUrl('eu-west-1_AbCdEf123')] })],
      resultCacheTtlSeconds: 0,
      session: { keysSecretId: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:keys' },
    };
    const checked = checkedAuthorizerConfig(config);
    // WHEN a deployed value or a block is bad (the digest still matches: neither is in the content)
    const badPool = {
      ...checked,
      issuers: [ISSUERS[0], { ...pool('eu-west-1_AbCdEf123'), allowedClients: [] }],
    };
    const badSession = { ...checked, session: { keysSecretId: '' } };
    expect(configChecked({ ...badPool })).toBe(true);
    expect(configChecked({ ...badSession })).toBe(true);
    // THEN each is refused by its own checks, exactly as without a digest
    expect(verdict(badPool)).toEqual(verdict({ ...badPool, configDigest: undefined }));
    expect(verdict(badPool)).toEqual([expect.objectContaining({ path: 'issuers[1].allowedClients' })]);
    expect(verdict(badSession)).toEqual([
      { path: 'session.keysSecretId', message: 'session.keysSecretId must be a non-empty string' },
    ]);
    // and two issuers that turn out to be the same pool are refused
    const twice = { ...checked, issuers: [pool('eu-west-1_AbCdEf123'), pool('eu-west-1_AbCdEf123')] };
    expect(verdict(twice)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'issuers[1]', message: expect.stringMatching(/listed twice/) }),
      ]),
    );
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
    [
      "a Keycloak issuer's clients",
      (c) => ({ ...c, issuers: [{ ...ISSUERS[0], allowedClients: [] }, ISSUERS[1]] }),
    ],
    ['the token header', (c) => ({ ...c, tokenSource: { header: 'Bad Header' } })],
    ['the clock skew', (c) => ({ ...c, clockSkewSeconds: 600 })],
    ['a field added', (c) => ({ ...c, extra: true }) as AuthorizerConfig],
  ])('runs every check again after an edit: %s', (_name, edit) => {
    // GIVEN a checked configuration, edited by hand without a new digest
    const checked = checkedAuthorizerConfig(GOOD);
    const edited = edit(checked);
    // THEN it is not the checked content, and it is judged exactly as a configuration without a digest
    expect(configChecked({ ...edited })).toBe(false);
    const plain = { ...edited, configDigest: undefined };
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
    // GIVEN a configuration accepted as checked, then edited where the checks read the cache TTL or response mode
    const checked = checkedAuthorizerConfig({ ...GOOD, routes, ...before });
    expect(verdict(checked)).toBe('ok');
    expect(configChecked({ ...checked, ...after })).toBe(false);
    // THEN it is refused, as without a digest
    expect(verdict({ ...checked, ...after })).toEqual(verdict({ ...GOOD, routes, ...after }));
    expect(verdict({ ...checked, ...after })).not.toBe('ok');
  });

  it.each([
    ['not hex', 'z'.repeat(64)],
    ['too short', 'ab'],
    ['upper case', 'A'.repeat(64)],
    ['a number', 7],
  ])('is refused when it is %s', (_name, configDigest) => {
    expect(verdict({ ...GOOD, configDigest })).toEqual([
      {
        path: 'configDigest',
        message: 'configDigest must be a SHA-256 digest in lower-case hex (64 characters)',
      },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Property: for generated configurations, the digest path and the full path accept exactly the same ones.

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

/** One edit a hand may make to a configuration: of its routes, requirements, issuers, settings or fields. */
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
  fc
    .tuple(fc.nat(1), fc.constantFrom<readonly string[]>([], ['web'], ['web', 'cli']))
    .map(([n, allowedClients]) => (c: AuthorizerConfig) => ({
      ...c,
      issuers: c.issuers.map((i, k) => (k === n ? { ...i, allowedClients } : i)),
    })),
  fc
    .constantFrom(undefined, 0, 30, 61)
    .map((clockSkewSeconds) => (c: AuthorizerConfig) => ({ ...c, clockSkewSeconds })),
  fc
    .constantFrom('Authorization', 'X-Token', 'bad header')
    .map((header) => (c: AuthorizerConfig) => ({ ...c, tokenSource: { header } })),
);

describe('property: the digest path and the full path accept exactly the same configurations', () => {
  it('a generated configuration is stamped exactly when every check accepts it, and is then accepted', () => {
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
        expect(configChecked({ ...checked })).toBe(true);
        expect(verdict(checked)).toBe('ok');
      }),
      { numRuns: RUNS },
    );
    // Both sides of the property were exercised.
    expect(stamped).toBeGreaterThan(RUNS / 20);
    expect(stamped).toBeLessThan(RUNS);
  });

  it('an edited configuration with the digest of the checked one is judged exactly as without a digest', () => {
    let refused = 0;
    let changed = 0;
    fc.assert(
      fc.property(configArb, editArb, (config, edit) => {
        fc.pre(verdict(config) === 'ok');
        const checked = checkedAuthorizerConfig(config);
        const edited = edit(checked);
        const plain = { ...edited, configDigest: undefined };
        // The same content: nothing was changed (compared as written; an undefined field is no field).
        const same = JSON.stringify(plain) === JSON.stringify(config);
        // Only the checked content itself skips the checks ...
        expect(configChecked({ ...edited })).toBe(same);
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
