/**
 * The cached-policy check's Deny rule (common/route-model.ts checkCachedPolicies, part 2) against a brute
 * force: a table is refused for a route `d` exactly when some caller is allowed a route `x` whose resource
 * reaches `d` (so the caller gets a Deny for `d`) and a route `t` that `d`'s Deny also reaches, while
 * refused `d`. The callers enumerated are every issuer (two scoped ones and a third trusted one) with
 * every set of the entitlements the tables name, so the check must be exact over issuer scopes and
 * entitlements: neither a table that is safe refused, nor one that is not accepted.
 * Step-up requirements are not modelled by the check (a route demanding one counts as deciding alike
 * only with an identical requirement): pinned case by case below.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Principal, Requirement, RouteSpec } from '../../common/route-model';
import {
  analyzeRoutes,
  boundParams,
  grantsFor,
  meetsRequirement,
  routeKey,
  validateRoutes,
} from '../../common/route-model';

const RUNS = Number(process.env.KEYGATE_PROPERTY_RUNS ?? 3_000);
const A = 'https://a.example/realms/a';
const B = 'https://b.example/realms/b';
/** A third trusted issuer no route names. */
const C = 'https://c.example/realms/c';

/** Entitlements requirements name; `r:{id}` binds a path parameter, held as `r:v` or `r:w`. */
const NAMED = ['r1', 'r2', 'r:v'] as const;
const HELD = ['r1', 'r2', 'r:v', 'r:w'] as const;

const CALLERS: Principal[] = [A, B, C].flatMap((issuer) =>
  Array.from({ length: 1 << HELD.length }, (_, mask) => ({
    sub: 's',
    issuer,
    realmRoles: HELD.filter((_, i) => mask & (1 << i)),
    clientRoles: [],
    scopes: [],
    groups: [],
  })),
);

/** Is the caller allowed the route for some value of its parameters? */
function allowed(route: RouteSpec, c: Principal): boolean {
  return ['v', 'w'].some((v) => meetsRequirement(route.requirement, c, { id: v }));
}

const issuersArb = fc.constantFrom<readonly string[] | undefined>(undefined, [A], [B], [A, B]);
const rolesArb = (bound: boolean) =>
  fc.subarray<string>(bound ? [...NAMED, 'r:{id}'] : [...NAMED], { minLength: 1, maxLength: 2 });
const requirementArb = (bound: boolean): fc.Arbitrary<Requirement | undefined> =>
  fc
    .record({
      issuers: issuersArb,
      allOf: fc.option(rolesArb(bound), { freq: 2 }),
      anyOf: fc.option(rolesArb(bound), { freq: 2 }),
    })
    .map(({ issuers, allOf, anyOf }) => {
      const r: Requirement = {
        ...(issuers ? { issuers } : {}),
        ...(allOf ? { allOf: { realmRoles: allOf } } : {}),
        ...(anyOf ? { anyOf: { realmRoles: anyOf } } : {}),
      };
      return Object.keys(r).length > 0 ? r : undefined;
    });

const route = (path: string, requirement: Requirement | undefined): RouteSpec => ({
  method: 'GET',
  path,
  auth: 'keycloak',
  ...(requirement ? { requirement } : {}),
});

/**
 * Three routes whose resources reach one another: a greedy route (binding its first segment or not), a
 * route with a free parameter, and a longer one its Deny (`GET/a/*`) also matches.
 */
const tableArb = fc
  .tuple(fc.boolean(), fc.boolean())
  .chain(([bindingX, withT]) =>
    fc.tuple(
      requirementArb(bindingX).map((r) => route(bindingX ? '/{id}/{proxy+}' : '/{proxy+}', r)),
      requirementArb(false).map((r) => route('/a/{x}', r)),
      withT ? requirementArb(false).map((r) => [route('/a/{x}/b', r)]) : fc.constant([]),
    ),
  )
  .map(([x, d, t]) => [x, d, ...t]);

/** Does the brute force find a caller allowed `x` and `t`, refused `d`, for this `d`? */
function splits(routes: readonly RouteSpec[], d: RouteSpec): boolean {
  if (boundParams(d.requirement).length > 0) return false;
  const analysis = analyzeRoutes(routes);
  const ts = routes.filter(
    (t) => t !== d && boundParams(t.requirement).length === 0 && analysis.reaches(d, t),
  );
  return analysis
    .reachedBy(d)
    .some((x) => ts.some((t) => CALLERS.some((c) => allowed(x, c) && allowed(t, c) && !allowed(d, c))));
}

describe('checkCachedPolicies: a Deny never hits a route the same caller may be allowed', () => {
  it(`refuses a route exactly when some caller would be denied a route it is allowed (${RUNS} tables)`, () => {
    const stats = { tables: 0, refused: 0, accepted: 0, issuerSplits: 0 };
    fc.assert(
      fc.property(tableArb, (routes) => {
        stats.tables++;
        const errors = validateRoutes(routes);
        for (const d of routes) {
          const refused = errors.some((e) => e.startsWith(`routes: ${routeKey(d)} overlaps `));
          const want = splits(routes, d);
          if (refused !== want)
            expect.fail(`${routeKey(d)}: refused ${refused}, brute force ${want}: ${JSON.stringify(routes)}`);
          if (want) stats.refused++;
          else if (analyzeRoutes(routes).reachedBy(d).length > 0) stats.accepted++;
          // Only the issuers tell the callers apart here: the entitlements of d are met by x's and t's.
          const unscoped = routes.map((r) => ({
            ...r,
            requirement: { ...r.requirement, issuers: undefined },
          }));
          if (want && !splits(unscoped, unscoped[routes.indexOf(d)])) stats.issuerSplits++;
        }
      }),
      { numRuns: RUNS },
    );
    console.info(`cached-policy Deny check against the brute force: ${JSON.stringify(stats)}`);
    expect(stats.tables).toBe(RUNS);
    if (RUNS >= 1_000) {
      expect(stats.refused).toBeGreaterThan(RUNS / 10);
      expect(stats.accepted).toBeGreaterThan(RUNS / 10);
      expect(stats.issuerSplits).toBeGreaterThan(RUNS / 100);
    }
  });
});

describe('checkCachedPolicies with step-up requirements (not modelled: alike only when identical)', () => {
  const stepped = (r: Requirement): Requirement => ({ ...r, stepUp: { minLoa: 2 } });
  const refusedD = (table: RouteSpec[]) =>
    validateRoutes(table).filter((e) => e.startsWith('routes: GET /a/{x} overlaps ')).length;

  // x is given d's requirement, so that x paired with itself (d's Deny also reaches x's requests) decides
  // alike and only t tells.
  it.each<[string, Requirement | undefined, Requirement | undefined, number]>([
    ['x, d and t with one identical step-up requirement: accepted', stepped({}), stepped({}), 0],
    [
      'the same with a role: accepted',
      stepped({ anyOf: { realmRoles: ['r1'] } }),
      stepped({ anyOf: { realmRoles: ['r1'] } }),
      0,
    ],
    ['t without the step-up of x and d: refused', stepped({}), {}, 1],
    ['t without a requirement at all: refused', stepped({}), undefined, 1],
    [
      't with the same role but without the step-up: refused',
      stepped({ anyOf: { realmRoles: ['r1'] } }),
      { anyOf: { realmRoles: ['r1'] } },
      1,
    ],
    ['a step-up alone makes d deniable: t without it is refused', { stepUp: { minLoa: 1 } }, undefined, 1],
  ])('%s', (_name, d, t, errors) => {
    const table = [route('/{proxy+}', d), route('/a/{x}', d), route('/a/{x}/b', t)];
    expect(refusedD(table)).toBe(errors);
  });
});

describe('reach through bound segments', () => {
  it('a bound greedy route reaches a literal route its value could spell: the Deny is written', () => {
    // GET/a/* (a caller holding r:a) matches GET /a/b, so a caller without admin must get its Deny.
    const table = [
      route('/{id}/{proxy+}', { allOf: { realmRoles: ['r:{id}'] } }),
      route('/a/b', { anyOf: { realmRoles: ['admin'] } }),
    ];
    expect(validateRoutes(table)).toEqual([]);
    const g = grantsFor(table, {
      sub: 's',
      realmRoles: ['r:a'],
      clientRoles: [],
      scopes: [],
      groups: [],
    });
    expect(g.allow).toEqual(['GET/a/*']);
    expect(g.deny[0]).toBe('GET/a/b');
  });

  it('two bound routes reach each other through their bound segments: both directions are named', () => {
    const table = [
      route('/{p}/c', { allOf: { realmRoles: ['r:{p}'] } }),
      route('/a/{id}', { allOf: { realmRoles: ['s:{id}'] } }),
    ];
    const overlaps = validateRoutes(table).map((e) => e.slice(0, e.indexOf(':', 'routes: '.length)));
    expect(overlaps).toEqual([
      'routes: GET /a/{id} and GET /{p}/c overlap',
      'routes: GET /{p}/c and GET /a/{id} overlap',
    ]);
  });

  it('a free greedy route reaches every deeper literal route: the Deny of the protected one is written', () => {
    const table = [route('/{proxy+}', undefined), route('/a/b', { anyOf: { realmRoles: ['admin'] } })];
    expect(validateRoutes(table)).toEqual([]);
    const g = grantsFor(table, { sub: 's', realmRoles: [], clientRoles: [], scopes: [], groups: [] });
    expect(g.allow).toEqual(['GET/*']);
    expect(g.deny[0]).toBe('GET/a/b');
  });
});

describe('checkCachedPolicies: pairs that never split', () => {
  it('a route no other route reaches is never denied, even with a step-up: nothing to check', () => {
    // Its own Deny would reach the longer route, but no caller gets one: no allow of another route
    // matches its requests.
    expect(
      validateRoutes([route('/a/{x}', { stepUp: { minLoa: 1 } }), route('/a/{x}/b', undefined)]),
    ).toEqual([]);
  });

  it('x and t scoped to different issuers: no one token is allowed both, so d is not refused', () => {
    const table = [
      route('/{id}/{proxy+}', { issuers: [A], allOf: { realmRoles: ['r:{id}'] } }),
      route('/a/{x}', { anyOf: { realmRoles: ['r1'] } }),
      route('/a/{x}/b', { issuers: [B] }),
    ];
    // Only the binding route's own overlaps are refused (part 1); the Deny of GET /a/{x} hits nobody allowed.
    expect(validateRoutes(table).map((e) => e.slice(0, e.indexOf(':', 'routes: '.length)))).toEqual([
      'routes: GET /a/{x} and GET /{id}/{proxy+} overlap',
      'routes: GET /a/{x}/b and GET /{id}/{proxy+} overlap',
    ]);
  });

  it('a binding route is never checked as the denied one: it is never denied, only refused if reached', () => {
    const table = [
      route('/{proxy+}', { anyOf: { realmRoles: ['r1'] } }),
      route('/a/{id}', { allOf: { realmRoles: ['r:{id}'] } }),
    ];
    expect(validateRoutes(table).map((e) => e.slice(0, e.indexOf(':', 'routes: '.length)))).toEqual([
      'routes: GET /{proxy+} and GET /a/{id} overlap',
    ]);
  });
});
