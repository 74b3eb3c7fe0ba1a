/**
 * The route model's edges, pinned exactly: the tables the cached-policy check must accept (a stricter
 * check would refuse working route tables), the bound on concrete combinations, and route precedence.
 * Written for the mutants of common/route-model.ts that the unit and soundness tests let through
 * (docs/security-testing.md).
 */
import fc from 'fast-check';
import { NON_CANONICAL_PATH_RESOURCES } from '../../common/canonical-path';
import { describe, expect, it } from 'vitest';
import type { HttpMethod, Principal, Requirement, RouteSpec } from '../../common/route-model';
import {
  HTTP_METHODS,
  grantsFor,
  issuerInScope,
  meetsRequirement,
  parsePathTemplate,
  splitPath,
  validateRequirement,
  validateRoutes,
} from '../../common/route-model';

const RUNS = Number(process.env.KEYGATE_PROPERTY_RUNS ?? 500);

function principal(p: Partial<Principal>): Principal {
  return { sub: 's', realmRoles: [], clientRoles: [], scopes: [], groups: [], ...p };
}

/** A path template's tail after its head: literal and parameter segments, maybe a final greedy one. */
const tailArb = fc
  .tuple(
    fc.array(fc.constantFrom('lit', 'raw', 'param'), { maxLength: 3 }),
    fc.boolean(), // a final greedy segment
  )
  .map(([kinds, greedy]) => {
    const segs = kinds.map((k, i) => (k === 'param' ? `{p${i}}` : k));
    if (greedy) segs.push('{rest+}');
    return segs;
  });

const methodArb = fc.constantFrom<HttpMethod>(...HTTP_METHODS);
const roleArb = fc.constantFrom('admin', 'reader', 'ops', 'staff');

/** Drops routes whose method and template shape repeat an earlier one (validation refuses duplicates). */
function distinct(routes: RouteSpec[]): RouteSpec[] {
  const seen = new Set<string>();
  return routes.filter((r) => {
    const key = `${r.method} ${r.path.replace(/\{[^}]+\}/g, '{}')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

describe('validateRoutes with the result cache on accepts tables a cached policy can express', () => {
  it(`routes with distinct first literal segments, bound or not (${RUNS} generated tables)`, () => {
    // No resource written for one route can match a request of another: nothing to refuse.
    const routeArb = fc.tuple(methodArb, tailArb, fc.constantFrom('none', 'unbound', 'bound'), roleArb);
    fc.assert(
      fc.property(fc.array(routeArb, { minLength: 1, maxLength: 6 }), (specs) => {
        const table: RouteSpec[] = specs.map(([method, tail, kind, role], i) => {
          const path = `/h${i}${tail.map((s) => `/${s}`).join('')}`;
          const firstParam = tail.find((s) => s.startsWith('{') && !s.endsWith('+}'));
          let requirement: Requirement | undefined;
          if (kind === 'unbound') requirement = { anyOf: { realmRoles: [role, 'admin'] } };
          // Binding the first parameter in allOf: every alternative names it, and nothing free comes before it.
          if (kind === 'bound' && firstParam !== undefined)
            requirement = { allOf: { realmRoles: [`${role}:${firstParam}`] }, anyOf: { groups: ['g'] } };
          return { method, path, auth: 'keycloak', ...(requirement ? { requirement } : {}) };
        });
        expect(validateRoutes(table)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it(`overlapping routes that all carry the same requirement (${RUNS} generated tables)`, () => {
    // A Deny is written only for a route the caller may not call; with one requirement for every route
    // there is no such route beside an allowed one, so no Deny can hit an allowed route.
    const requirementArb = fc.oneof(
      roleArb.map((r): Requirement => ({ anyOf: { realmRoles: [r, 'admin'] } })),
      fc
        .tuple(roleArb, fc.constantFrom('s1', 's2'))
        .map(([r, s]): Requirement => ({ allOf: { realmRoles: [r], scopes: [s] } })),
      roleArb.map((r): Requirement => ({
        allOf: { groups: [r] },
        issuers: ['https://sso.example/realms/a'],
      })),
    );
    const routeArb = fc.tuple(
      methodArb,
      fc.constantFrom('/a', '/{x}', '/a/b', '/a/{y}', '/{x}/b', '/{proxy+}', '/a/{proxy+}', '/'),
      fc.boolean(), // an IAM route, which the check ignores
    );
    fc.assert(
      fc.property(
        requirementArb,
        fc.array(routeArb, { minLength: 2, maxLength: 8 }),
        (requirement, specs) => {
          const table = distinct(
            specs.map(([method, path, iam]) =>
              iam ? { method, path, auth: 'iam' } : { method, path, auth: 'keycloak', requirement },
            ),
          );
          expect(validateRoutes(table)).toEqual([]);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('parsePathTemplate: a parameter is a whole segment', () => {
  it.each([
    ['/x/a{b}', 'a{b}'],
    ['/x/{b}c', '{b}c'],
    ['/x/{b}{c}', '{b}{c}'],
    ['/{a+}b', '{a+}b'],
  ])('refuses %s, naming the segment %s', (path, seg) => {
    expect(() => parsePathTemplate(path)).toThrow(`path '${path}' has an invalid segment '${seg}'`);
  });
});

describe('validateRoutes: malformed input gets its own message, never a crash', () => {
  const kc = (requirement: unknown, path = '/m/{id}') => [
    { method: 'GET', path, auth: 'keycloak', requirement },
  ];
  it.each<[string, unknown, string[]]>([
    ['an entry that is a number', [5], ['routes[0] must be an object']],
    [
      'a route without a path',
      [{ method: 'GET', auth: 'keycloak' }],
      ["routes[0].path: path 'undefined' must start with '/'"],
    ],
    [
      'an empty segment',
      [{ method: 'GET', path: '/a//b', auth: 'keycloak' }],
      ["routes[0].path: path '/a//b' has an empty segment"],
    ],
    ['a null requirement', kc(null), ['routes[0].requirement must be an object']],
    ['a null entitlement set', kc({ anyOf: null }), ['routes[0].requirement.anyOf must be an object']],
    [
      'a list holding a number',
      kc({ allOf: { realmRoles: ['ok', 5] } }),
      ['routes[0].requirement.allOf.realmRoles must be a list of non-empty strings'],
    ],
    [
      'a binding of a greedy parameter',
      kc({ allOf: { realmRoles: ['r:{rest}'] } }, '/m/{rest+}'),
      ["routes[0].requirement.allOf.realmRoles: 'r:{rest}' binds {rest}, which is not a path parameter"],
    ],
    [
      'a client role whose client part is empty',
      kc({ anyOf: { clientRoles: [':a:b'] } }),
      ["routes[0].requirement.anyOf.clientRoles: ':a:b' must be written client:role"],
    ],
    [
      'a client role ending in a newline',
      kc({ anyOf: { clientRoles: ['api:x\n'] } }),
      [
        "routes[0].requirement.anyOf.clientRoles: 'api:x\n' must be written client:role",
        "routes[0].requirement.anyOf.clientRoles: 'api:x\n' must not contain whitespace",
      ],
    ],
    [
      'a step-up demand of the wrong shape',
      kc({ stepUp: { minLoa: -1 } }),
      ['routes[0].requirement.stepUp.minLoa must be an integer from 0 to 100'],
    ],
  ])('%s', (_name, input, expected) => {
    expect(validateRoutes(input)).toEqual(expected);
  });

  it('accepts a valid step-up demand', () => {
    expect(validateRoutes(kc({ stepUp: { minLoa: 1, amr: ['otp'] } }))).toEqual([]);
  });

  it.each<[string, unknown]>([
    ['empty', []],
    ['an empty URL', ['']],
    ['a URL with a space', ['https://a.example/realms/x y']],
    ['a number', [1]],
    ['a valid URL and an empty one', ['https://a.example', '']],
    ['a URL of 2049 characters', [`https://a.example/${'r'.repeat(2049 - 18)}`]],
  ])('refuses an issuer scope that is %s', (_name, issuers) => {
    expect(validateRoutes(kc({ issuers }))).toEqual([
      'routes[0].requirement.issuers must be a non-empty list of issuer URLs',
    ]);
  });

  it('accepts an issuer URL of 2048 characters, and refuses one listed twice', () => {
    const long = `https://a.example/${'r'.repeat(2048 - 18)}`;
    expect(long).toHaveLength(2048);
    expect(validateRoutes(kc({ issuers: [long, 'https://b.example'] }))).toEqual([]);
    expect(validateRoutes(kc({ issuers: ['https://b.example', 'https://b.example'] }))).toEqual([
      'routes[0].requirement.issuers lists an issuer twice',
    ]);
  });
});

describe("validateRequirement: one requirement checked alone (the model backend's invokeRequirement)", () => {
  const tpl = parsePathTemplate('/models/{modelId}/invoke');

  it('accepts a requirement that binds a parameter of the template', () => {
    const req: Requirement = { anyOf: { realmRoles: ['model:{modelId}:invoke'], groups: ['ops'] } };
    expect(validateRequirement(req, 'invokeRequirement', tpl)).toEqual([]);
  });

  it('refuses an unknown field and a binding the template lacks, each message opening with the field', () => {
    const req = { allOf: { scopes: ['m:{other}'] }, roles: ['x'] };
    expect(validateRequirement(req, 'invokeRequirement', tpl)).toEqual([
      'invokeRequirement.roles is not a requirement field (allOf, anyOf, issuers, stepUp)',
      "invokeRequirement.allOf.scopes: 'm:{other}' binds {other}, which is not a path parameter",
    ]);
  });
});

describe('splitPath', () => {
  it('decodes each segment, and refuses a path without a leading / or with a broken escape', () => {
    expect(splitPath('/a%20b/c')).toEqual(['a b', 'c']);
    expect(splitPath('a/b')).toBeUndefined();
    expect(splitPath(undefined as unknown as string)).toBeUndefined();
    expect(splitPath('/a/%E0')).toBeUndefined();
  });
});

describe('meetsRequirement: issuer scope and step-up', () => {
  const A = 'https://a.example/realms/x';
  it('a scoped requirement is met only by a principal of a listed issuer', () => {
    const req: Requirement = { issuers: [A], anyOf: { realmRoles: ['r'] } };
    expect(meetsRequirement(req, principal({ issuer: A, realmRoles: ['r'] }))).toBe(true);
    expect(meetsRequirement(req, principal({ issuer: 'https://b.example', realmRoles: ['r'] }))).toBe(false);
    expect(meetsRequirement(req, principal({ realmRoles: ['r'] }))).toBe(false);
    expect(issuerInScope({}, principal({}))).toBe(true);
  });
  it('a step-up demand is met only with the sign-in facts it asks for', () => {
    const req: Requirement = { stepUp: { amr: ['otp'] } };
    expect(meetsRequirement(req, principal({ assurance: { amr: ['otp'] } }))).toBe(true);
    expect(meetsRequirement(req, principal({ assurance: { amr: ['pwd'] } }))).toBe(false);
    expect(meetsRequirement(req, principal({}))).toBe(false);
  });
});

describe('grantsFor and the cached-policy check, exactly', () => {
  const get = (path: string, requirement?: Requirement): RouteSpec => ({
    method: 'GET',
    path,
    auth: 'keycloak',
    ...(requirement ? { requirement } : {}),
  });

  it('an allowed bound route whose wildcard reaches a refused literal route gets a Deny for it', () => {
    const table = [
      get('/t/{id}/{rest+}', { anyOf: { realmRoles: ['t:{id}', 'admin'] } }),
      get('/t/a/x', { anyOf: { realmRoles: ['ops'] } }),
    ];
    expect(validateRoutes(table)).toEqual([]);
    expect(grantsFor(table, principal({ realmRoles: ['t:a'] }))).toEqual({
      allow: ['GET/t/a/*'],
      deny: ['GET/t/a/x', ...NON_CANONICAL_PATH_RESOURCES],
    });
    // Allowed nothing: no Deny at all.
    expect(grantsFor(table, principal({ realmRoles: ['other'] }))).toEqual({ allow: [], deny: [] });
    expect(grantsFor(table, principal({ realmRoles: ['ops'] }))).toEqual({
      allow: ['GET/t/a/x'],
      deny: [...NON_CANONICAL_PATH_RESOURCES],
    });
  });

  it('a bound segment is one segment: a route below it is not reached, so gets no Deny', () => {
    const table = [
      get('/m/{id}', { allOf: { realmRoles: ['m:{id}'] } }),
      get('/m/{id}/raw', { anyOf: { realmRoles: ['admin'] } }),
    ];
    expect(validateRoutes(table)).toEqual([]);
    expect(grantsFor(table, principal({ realmRoles: ['m:a'] }))).toEqual({
      allow: ['GET/m/a'],
      deny: [...NON_CANONICAL_PATH_RESOURCES],
    });
  });

  it('a bound route scoped to an issuer grants nothing to a principal of another issuer', () => {
    const table = [get('/m/{id}', { issuers: ['https://a.example'], allOf: { realmRoles: ['m:{id}'] } })];
    expect(grantsFor(table, principal({ issuer: 'https://b.example', realmRoles: ['m:a'] }))).toEqual({
      allow: [],
      deny: [],
    });
    expect(grantsFor(table, principal({ issuer: 'https://a.example', realmRoles: ['m:a'] })).allow).toEqual([
      'GET/m/a',
    ]);
  });

  it('joins two entitlements that name the same parameter only on equal values', () => {
    const table = [get('/o/{org}/p/{proj}', { allOf: { realmRoles: ['org:{org}', 'proj:{org}:{proj}'] } })];
    expect(grantsFor(table, principal({ realmRoles: ['org:a', 'proj:a:x'] })).allow).toEqual(['GET/o/a/p/x']);
    expect(grantsFor(table, principal({ realmRoles: ['org:a', 'proj:b:x'] })).allow).toEqual([]);
  });

  it('writes at most 256 combinations over all alternatives together', () => {
    const table = [get('/o/{org}/p/{proj}', { anyOf: { realmRoles: ['a:{org}:{proj}', 'b:{org}:{proj}'] } })];
    const held = Array.from({ length: 200 }, (_, i) => [`a:o${i}:p`, `b:o${i}:q`]).flat();
    const allow = grantsFor(table, principal({ realmRoles: held })).allow;
    expect(allow).toHaveLength(256);
    expect(allow.slice(199, 201)).toEqual(['GET/o/o199/p/p', 'GET/o/o0/p/q']);
  });

  it('accepts two bound parameters that one alternative names in two entitlements', () => {
    const table = [get('/{a}/{b}/{rest+}', { allOf: { realmRoles: ['x:{a}', 'y:{b}'] } })];
    expect(validateRoutes(table)).toEqual([]);
    expect(grantsFor(table, principal({ realmRoles: ['x:v', 'y:w'] })).allow).toEqual(['GET/v/w/*']);
  });

  it('a route that needs nothing is never denied: only the protected route beside it is refused', () => {
    expect(validateRoutes([get('/{proxy+}'), get('/a/{x}', { anyOf: { realmRoles: ['admin'] } })])).toEqual([
      'routes: GET /a/{x} overlaps GET /{proxy+}: a caller allowed GET /{proxy+} but not GET /a/{x} gets a Deny ' +
        "for GET /a/{x}, whose resource also matches requests of GET /{proxy+} (IAM's * also matches '/'), which " +
        'the same caller may be allowed; give the routes distinct literal segments, give them the same ' +
        'requirement, or set the authorizer result cache TTL to 0',
    ]);
  });

  it('an IAM route beside a bound route is no overlap: Keygate writes no resource for it', () => {
    const iam: RouteSpec = { method: 'GET', path: '/{proxy+}', auth: 'iam' };
    expect(validateRoutes([iam, get('/m/{id}', { allOf: { realmRoles: ['m:{id}'] } })])).toEqual([]);
    // Nor beside two protected routes that only its requests would join.
    const table = [
      iam,
      get('/a/{x}', { anyOf: { realmRoles: ['admin'] } }),
      get('/a/{x}/b', { anyOf: { realmRoles: ['ops'] } }),
    ];
    expect(validateRoutes(table)).toEqual([]);
    expect(grantsFor(table, principal({ realmRoles: ['ops'] }))).toEqual({
      allow: ['GET/a/*/b'],
      deny: [...NON_CANONICAL_PATH_RESOURCES],
    });
  });

  it('free parameters after the last bound one are no problem, however many', () => {
    expect(validateRoutes([get('/{a}/{b}/{c}', { allOf: { realmRoles: ['x:{a}'] } })])).toEqual([]);
  });

  it('a route scoped to another issuer is refused to some callers, so its Deny is checked', () => {
    const A = 'https://a.example';
    const B = 'https://b.example';
    const table = [
      get('/{proxy+}', { issuers: [A] }),
      get('/a/{x}', { issuers: [B] }),
      get('/a/{x}/b', { issuers: [A] }),
    ];
    expect(validateRoutes(table)).toEqual([
      'routes: GET /{proxy+} overlaps GET /a/{x}: a caller allowed GET /a/{x} but not GET /{proxy+} gets a Deny ' +
        "for GET /{proxy+}, whose resource also matches requests of GET /a/{x} (IAM's * also matches '/'), which " +
        'the same caller may be allowed; give the routes distinct literal segments, give them the same ' +
        'requirement, or set the authorizer result cache TTL to 0',
      'routes: GET /a/{x} overlaps GET /{proxy+}: a caller allowed GET /{proxy+} but not GET /a/{x} gets a Deny ' +
        "for GET /a/{x}, whose resource also matches requests of GET /{proxy+}, GET /a/{x}/b (IAM's * also " +
        "matches '/'), which the same caller may be allowed; give the routes distinct literal segments, give " +
        'them the same requirement, or set the authorizer result cache TTL to 0',
    ]);
  });
});
