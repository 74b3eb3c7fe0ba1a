import { describe, expect, it } from 'vitest';
import { NON_CANONICAL_PATH_RESOURCES } from '../../common/canonical-path';
import type { Principal, RouteSpec } from '../../common/route-model';
import {
  boundParams,
  compileRouteMatcher,
  grantsFor,
  matchRoute,
  meetsRequirement,
  parsePathTemplate,
  routeAllows,
  splitPath,
  validateRoutes,
} from '../../common/route-model';

const routes: RouteSpec[] = [
  { method: 'GET', path: '/models', auth: 'keycloak' },
  {
    method: 'GET',
    path: '/models/{modelId}',
    auth: 'keycloak',
    requirement: { anyOf: { realmRoles: ['model-reader'] } },
  },
  {
    method: 'POST',
    path: '/models/{modelId}/invoke',
    auth: 'keycloak',
    requirement: { anyOf: { realmRoles: ['model:{modelId}:invoke', 'model-admin'] } },
  },
  {
    method: 'POST',
    path: '/admin/reload',
    auth: 'keycloak',
    requirement: { allOf: { clientRoles: ['keygate-api:admin'], scopes: ['models'] } },
  },
  { method: 'POST', path: '/machine/models/{modelId}/invoke', auth: 'iam' },
];

function principal(p: Partial<Principal>): Principal {
  return { sub: 's', realmRoles: [], clientRoles: [], scopes: [], groups: [], ...p };
}

describe('parsePathTemplate', () => {
  it.each([['models'], ['/a//b'], ['/a/{b+}/c'], ['/a/{1x}'], ['/a/*']])('rejects %s', (p) => {
    expect(() => parsePathTemplate(p)).toThrow();
  });
  it.each([['/{x}/{y}/{x+}'], ['/a/{x}/{x}'], ['/{id}/b/{id}']])(
    'rejects a parameter named twice: %s',
    (p) => {
      expect(() => parsePathTemplate(p)).toThrow(/names parameter '(x|id)' twice/);
    },
  );
  it('parses literals, params and greedy', () => {
    expect(parsePathTemplate('/a/{b}/{c+}')).toEqual([
      { kind: 'literal', value: 'a' },
      { kind: 'param', name: 'b' },
      { kind: 'greedy', name: 'c' },
    ]);
  });
});

describe('matchRoute', () => {
  it('prefers literal segments and extracts params', () => {
    const m = matchRoute(routes, 'POST', '/models/sentiment/invoke');
    expect(m?.route.path).toBe('/models/{modelId}/invoke');
    expect(m?.params).toEqual({ modelId: 'sentiment' });
  });
  it('matches the root route `/`, a template of no segments, fresh and compiled', () => {
    const root: RouteSpec[] = [{ method: 'GET', path: '/', auth: 'keycloak' }, ...routes];
    expect(parsePathTemplate('/')).toEqual([]);
    expect(matchRoute(root, 'GET', '/')?.route).toBe(root[0]);
    expect(compileRouteMatcher(root)('GET', '/')?.route).toBe(root[0]);
    expect(compileRouteMatcher(root)('GET', '/models')?.route).toBe(root[1]);
  });
  it('returns undefined off the table', () => {
    expect(matchRoute(routes, 'DELETE', '/models')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/nope')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/models/%E0%A4%A')).toBeUndefined();
  });
});

describe('meetsRequirement', () => {
  const invoke = routes[2].requirement;
  it('binds the path parameter', () => {
    const p = principal({ realmRoles: ['model:sentiment:invoke'] });
    expect(meetsRequirement(invoke, p, { modelId: 'sentiment' })).toBe(true);
    expect(meetsRequirement(invoke, p, { modelId: 'echo' })).toBe(false);
    expect(meetsRequirement(invoke, p, {})).toBe(false);
  });
  it('applies allOf across kinds', () => {
    const req = routes[3].requirement;
    expect(meetsRequirement(req, principal({ clientRoles: ['keygate-api:admin'] }))).toBe(false);
    expect(meetsRequirement(req, principal({ clientRoles: ['keygate-api:admin'], scopes: ['models'] }))).toBe(
      true,
    );
  });
  it('an anyOf that lists nothing asks for nothing', () => {
    expect(meetsRequirement({ anyOf: {} }, principal({}))).toBe(true);
    expect(meetsRequirement({ anyOf: { realmRoles: [] } }, principal({}))).toBe(true);
  });
  it('a binding without its parameter never matches, whatever the principal holds', () => {
    expect(
      meetsRequirement({ allOf: { groups: ['m:{id}'] } }, principal({ groups: ['m:undefined', 'm:'] }), {}),
    ).toBe(false);
  });
  it('no requirement means any valid token', () => {
    expect(meetsRequirement(undefined, principal({}))).toBe(true);
  });
  it('lists bound params', () => {
    expect(boundParams(invoke)).toEqual(['modelId']);
  });
});

describe('grantsFor', () => {
  it('lists concrete bound routes, skips values a resource cannot hold, and denies only paths that are not canonical', () => {
    const g = grantsFor(
      routes,
      principal({ realmRoles: ['model:sentiment:invoke', 'model:bad/x:invoke', 'model:*:invoke'] }),
    );
    expect(g.allow).toEqual(['GET/models', 'POST/models/sentiment/invoke']);
    expect(g.deny).toEqual([...NON_CANONICAL_PATH_RESOURCES]);
  });
  it('writes one resource per method for ANY', () => {
    const any: RouteSpec[] = [
      {
        method: 'ANY',
        path: '/t/{id}/{rest+}',
        auth: 'keycloak',
        requirement: { anyOf: { groups: ['t:{id}'] } },
      },
    ];
    expect(grantsFor(any, principal({ groups: ['t:acme'] })).allow).toEqual(
      ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].map((m) => `${m}/t/acme/*`),
    );
  });
  it('denies a refused route that an allowed wildcard reaches', () => {
    const table: RouteSpec[] = [
      {
        method: 'GET',
        path: '/r/{id}',
        auth: 'keycloak',
        requirement: { anyOf: { realmRoles: ['reader'] } },
      },
      {
        method: 'GET',
        path: '/r/{id}/raw',
        auth: 'keycloak',
        requirement: { anyOf: { realmRoles: ['admin'] } },
      },
    ];
    expect(validateRoutes(table)).toEqual([]);
    expect(grantsFor(table, principal({ realmRoles: ['reader'] }))).toEqual({
      allow: ['GET/r/*'],
      deny: ['GET/r/*/raw', ...NON_CANONICAL_PATH_RESOURCES],
    });
    expect(grantsFor(table, principal({ realmRoles: ['admin'] }))).toEqual({
      allow: ['GET/r/*/raw'],
      deny: [...NON_CANONICAL_PATH_RESOURCES],
    });
    // Nothing allowed: nothing to deny.
    expect(grantsFor(table, principal({}))).toEqual({ allow: [], deny: [] });
  });
  it('enumerates every way an entitlement fits a template with two bindings', () => {
    const table: RouteSpec[] = [
      {
        method: 'GET',
        path: '/a/{x}/{y}',
        auth: 'keycloak',
        requirement: { allOf: { realmRoles: ['p:{x}:{y}'] } },
      },
    ];
    expect(grantsFor(table, principal({ realmRoles: ['p:1:2:3'] })).allow).toEqual([
      'GET/a/1/2:3',
      'GET/a/1:2/3',
    ]);
  });
  it('an unbound alternative in anyOf grants the wildcard', () => {
    const g = grantsFor(routes, principal({ realmRoles: ['model-admin'] }));
    expect(g.allow).toContain('POST/models/*/invoke');
  });
  it('refuses a route that names a parameter twice, whose cached policy would bind another segment than the decision', () => {
    // GIVEN the decision reads `{x}` from the last segment while a policy writes it into the first
    const table: RouteSpec[] = [
      {
        method: 'GET',
        path: '/{x}/{y}/{x+}',
        auth: 'keycloak',
        requirement: { allOf: { scopes: ['s:{x}'] } },
      },
    ];
    // THEN the table is refused, with or without the result cache, naming the route's path
    for (const options of [{}, { resultCacheTtlSeconds: 300 }]) {
      expect(validateRoutes(table, 'routes', options)).toEqual([
        "routes[0].path: path '/{x}/{y}/{x+}' names parameter 'x' twice",
      ]);
    }
  });
  it('denies an explicit-method route beside an ANY route of the same path to a caller refused it', () => {
    // GIVEN ANY /x open to every caller and GET /x behind a role
    const table: RouteSpec[] = [
      { method: 'ANY', path: '/x', auth: 'keycloak' },
      { method: 'GET', path: '/x', auth: 'keycloak', requirement: { anyOf: { realmRoles: ['reader'] } } },
    ];
    expect(validateRoutes(table, 'routes', { resultCacheTtlSeconds: 300 })).toEqual([]);
    // THEN a caller without the role is allowed every method of ANY /x, and GET /x is denied
    const g = grantsFor(table, principal({}));
    expect(g.allow).toEqual(
      ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].map((m) => `${m}/x`),
    );
    expect(g.deny).toEqual(['GET/x', ...NON_CANONICAL_PATH_RESOURCES]);
    // and the reader gets both, with nothing to deny
    expect(grantsFor(table, principal({ realmRoles: ['reader'] })).deny).toEqual([
      ...NON_CANONICAL_PATH_RESOURCES,
    ]);
  });
  it('accepts, with the result cache on, a step-up route beside parameter routes without requirements', () => {
    // Routes without a requirement are open to every caller: no cached policy denies them, so no overlap
    // with them can split a caller, whatever the step-up route beside them demands.
    const table: RouteSpec[] = [
      { method: 'GET', path: '/{q}/{r}', auth: 'keycloak' },
      { method: 'GET', path: '/a/{p}', auth: 'keycloak' },
      { method: 'GET', path: '/a/b', auth: 'keycloak', requirement: { stepUp: { maxAgeSeconds: 300 } } },
    ];
    expect(validateRoutes(table, 'routes', { resultCacheTtlSeconds: 300 })).toEqual([]);
  });
  it('never grants an IAM route', () => {
    const g = grantsFor(routes, principal({ realmRoles: ['model-admin', 'model-reader'] }));
    expect(g.allow.some((r) => r.includes('machine'))).toBe(false);
  });
});

describe('validateRoutes', () => {
  it('accepts the sample table', () => {
    expect(validateRoutes(routes)).toEqual([]);
  });
  it('names the field', () => {
    expect(
      validateRoutes([
        {
          method: 'GET',
          path: '/x/{id}',
          auth: 'keycloak',
          requirement: { anyOf: { realmRoles: ['r:{other}'] } },
        },
      ]),
    ).toEqual([
      "routes[0].requirement.anyOf.realmRoles: 'r:{other}' binds {other}, which is not a path parameter",
    ]);
    expect(validateRoutes([{ method: 'FETCH', path: '/x', auth: 'keycloak' }])[0]).toMatch(
      /^routes\[0\]\.method/,
    );
  });
  it('rejects a wildcard that covers a bound route', () => {
    const errs = validateRoutes([
      { method: 'POST', path: '/models/{any+}', auth: 'keycloak' },
      {
        method: 'POST',
        path: '/models/{modelId}/invoke',
        auth: 'keycloak',
        requirement: { anyOf: { realmRoles: ['m:{modelId}'] } },
      },
    ]);
    expect(errs).toEqual([
      "routes: POST /models/{any+} and POST /models/{modelId}/invoke overlap: a policy resource allowing POST /models/{any+} would also match requests of POST /models/{modelId}/invoke, whose requirement binds {modelId} (IAM's * also matches '/', and IAM has no single-segment wildcard), so a cached policy could allow POST /models/{modelId}/invoke for values it does not grant; give the routes distinct literal segments, or set the authorizer result cache TTL to 0",
    ]);
  });
});

describe('routeAllows', () => {
  const route: RouteSpec = {
    method: 'GET',
    path: '/m/{id}',
    auth: 'keycloak',
    requirement: { anyOf: { realmRoles: ['m:{id}', 'admin'] } },
  };
  const decide = (path: string, roles: string[]) => {
    const m = matchRoute([route], 'GET', path);
    if (!m) throw new Error(`no match for ${path}`);
    return routeAllows(m, principal({ realmRoles: roles }));
  };
  it.each([
    ['a held value', '/m/x', ['m:x'], true],
    ['another value', '/m/y', ['m:x'], false],
    ['a held value written with an escape (the ARN holds %78)', '/m/%78', ['m:x'], false],
    ['a held value a resource cannot hold', '/m/a%20b', ['m:a b'], false],
    ['an unbound alternative, whatever the value', '/m/a%20b', ['admin'], true],
  ])('%s', (_name, path, roles, expected) => {
    expect(decide(path, roles)).toBe(expected);
  });
});

describe('matchRoute and ANY', () => {
  const any: RouteSpec[] = [{ method: 'ANY', path: '/x', auth: 'keycloak' }];
  it('routes the methods API Gateway routes, and no other', () => {
    expect(matchRoute(any, 'DELETE', '/x')?.route).toBe(any[0]);
    expect(matchRoute(any, 'TRACE', '/x')).toBeUndefined();
  });
  it('keeps the raw parameter beside the decoded one', () => {
    const m = matchRoute(
      [{ method: 'GET', path: '/f/{p}/{rest+}', auth: 'keycloak' }],
      'GET',
      '/f/a%2Fb/c/%7E',
    );
    expect(m?.params).toEqual({ p: 'a/b', rest: 'c/~' });
    expect(m?.rawParams).toEqual({ p: 'a%2Fb', rest: 'c/%7E' });
  });
});

describe('validateRoutes with the result cache on', () => {
  const bound = (path: string, roles: string[]): RouteSpec => ({
    method: 'GET',
    path,
    auth: 'keycloak',
    requirement: { anyOf: { realmRoles: roles } },
  });
  it('accepts a bound parameter before a greedy segment, with an unbound alternative', () => {
    const table = [bound('/t/{id}/{rest+}', ['t:{id}', 'admin'])];
    expect(validateRoutes(table)).toEqual([]);
    expect(grantsFor(table, principal({ realmRoles: ['admin'] })).allow).toEqual(['GET/t/*/*']);
    expect(grantsFor(table, principal({ realmRoles: ['t:a'] })).allow).toEqual(['GET/t/a/*']);
  });
  it('refuses a parameter some alternative leaves free before another bound one', () => {
    expect(validateRoutes([bound('/{a}/{b}/{rest+}', ['x:{a}', 'y:{b}'])])).toEqual([
      "routes: GET /{a}/{b}/{rest+} has {a} before {b}, which its requirement binds: its policy resource writes * for {a}, and IAM's * also matches '/', so a cached allow for one {b} could match a request for another; put the bound parameter before every free one, or set the authorizer result cache TTL to 0",
    ]);
  });
  it('accepts two bound parameters every alternative names', () => {
    expect(validateRoutes([bound('/{a}/{b}/{rest+}', ['x:{a}:{b}'])])).toEqual([]);
  });
  it('refuses a Deny that would hit a route the same caller may be allowed', () => {
    const table: RouteSpec[] = [
      {
        method: 'GET',
        path: '/{proxy+}',
        auth: 'keycloak',
        requirement: { anyOf: { realmRoles: ['staff'] } },
      },
      { method: 'GET', path: '/a/{x}', auth: 'keycloak', requirement: { anyOf: { realmRoles: ['admin'] } } },
      { method: 'GET', path: '/a/{x}/b', auth: 'keycloak', requirement: { anyOf: { realmRoles: ['ops'] } } },
    ];
    const tail =
      "(IAM's * also matches '/'), which the same caller may be allowed; give the routes distinct literal " +
      'segments, give them the same requirement, or set the authorizer result cache TTL to 0';
    expect(validateRoutes(table)).toEqual([
      'routes: GET /{proxy+} overlaps GET /a/{x}: a caller allowed GET /a/{x} but not GET /{proxy+} gets a Deny ' +
        `for GET /{proxy+}, whose resource also matches requests of GET /a/{x}, GET /a/{x}/b ${tail}`,
      'routes: GET /a/{x} overlaps GET /{proxy+}: a caller allowed GET /{proxy+} but not GET /a/{x} gets a Deny ' +
        `for GET /a/{x}, whose resource also matches requests of GET /{proxy+}, GET /a/{x}/b ${tail}`,
      'routes: GET /a/{x}/b overlaps GET /{proxy+}: a caller allowed GET /{proxy+} but not GET /a/{x}/b gets a ' +
        `Deny for GET /a/{x}/b, whose resource also matches requests of GET /{proxy+} ${tail}`,
    ]);
    expect(validateRoutes(table, 'routes', { resultCacheTtlSeconds: 0 })).toEqual([]);
  });
  it('accepts the overlap when the routes decide alike, or one requirement implies the other', () => {
    const table = (second: string[]): RouteSpec[] => [
      {
        method: 'GET',
        path: '/r/{id}',
        auth: 'keycloak',
        requirement: { anyOf: { realmRoles: ['reader'] } },
      },
      {
        method: 'GET',
        path: '/r/{id}/raw',
        auth: 'keycloak',
        requirement: { allOf: { realmRoles: second } },
      },
      {
        method: 'GET',
        path: '/r/{id}/{rest+}',
        auth: 'keycloak',
        requirement: { allOf: { realmRoles: second } },
      },
    ];
    expect(validateRoutes(table(['admin']))).toEqual([]);
    expect(validateRoutes(table(['admin', 'reader']))).toEqual([]);
  });
  it('sees a change to a table that grows in place', () => {
    const table: RouteSpec[] = [bound('/m/{id}', ['m:{id}'])];
    expect(validateRoutes(table)).toEqual([]);
    table.push({ method: 'GET', path: '/{any+}', auth: 'keycloak' });
    expect(validateRoutes(table)).toHaveLength(1);
  });
});

describe('validateRoutes messages', () => {
  const kc = (requirement: unknown, path = '/m/{id}') => [
    { method: 'GET', path, auth: 'keycloak', requirement },
  ];
  it.each<[string, unknown, string[]]>([
    ['not an array', { method: 'GET' }, ['routes must be an array']],
    ['an entry that is not an object', [null], ['routes[0] must be an object']],
    [
      'an unknown method',
      [{ method: 'TRACE', path: '/a', auth: 'keycloak' }],
      ['routes[0].method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY'],
    ],
    [
      'an unknown auth',
      [{ method: 'GET', path: '/a', auth: 'none' }],
      ['routes[0].auth must be one of keycloak, iam, cognito-user-pool'],
    ],
    [
      'a path without a leading slash',
      [{ method: 'GET', path: 'a', auth: 'keycloak' }],
      ["routes[0].path: path 'a' must start with '/'"],
    ],
    [
      'a greedy parameter with an invalid name',
      [{ method: 'GET', path: '/a/{1x+}', auth: 'keycloak' }],
      ["routes[0].path: path '/a/{1x+}' has an invalid parameter name '1x'"],
    ],
    [
      'a segment with a space',
      [{ method: 'GET', path: '/a b', auth: 'keycloak' }],
      ["routes[0].path: path '/a b' has an invalid segment 'a b'"],
    ],
    [
      'a dot segment',
      [{ method: 'GET', path: '/a/../b', auth: 'keycloak' }],
      ["routes[0].path: path '/a/../b' has an invalid segment '..'"],
    ],
    [
      'a single-dot segment',
      [{ method: 'GET', path: '/a/.', auth: 'keycloak' }],
      ["routes[0].path: path '/a/.' has an invalid segment '.'"],
    ],
    [
      'the same route twice',
      [
        { method: 'GET', path: '/a/{x}', auth: 'keycloak' },
        { method: 'GET', path: '/a/{y}', auth: 'iam' },
      ],
      ['routes[1]: duplicate route GET /a/{y}'],
    ],
    [
      'a requirement on an IAM route',
      [{ method: 'GET', path: '/a', auth: 'iam', requirement: {} }],
      ['routes[0].requirement is only allowed on keycloak routes'],
    ],
    ['a requirement that is not an object', kc('admin'), ['routes[0].requirement must be an object']],
    [
      'an unknown requirement field',
      kc({ oneOf: {} }),
      ['routes[0].requirement.oneOf is not a requirement field (allOf, anyOf, issuers, stepUp)'],
    ],
    [
      'an entitlement set that is not an object',
      kc({ anyOf: 'admin' }),
      ['routes[0].requirement.anyOf must be an object'],
    ],
    [
      'an unknown entitlement kind',
      kc({ allOf: { roles: ['a'] } }),
      [
        'routes[0].requirement.allOf.roles is not an entitlement kind (realmRoles, clientRoles, scopes, groups)',
      ],
    ],
    [
      'an empty entitlement',
      kc({ anyOf: { groups: [''] } }),
      ['routes[0].requirement.anyOf.groups must be a list of non-empty strings'],
    ],
    [
      'an entitlement of 256 characters',
      kc({ anyOf: { groups: ['g'.repeat(256)] } }),
      ['routes[0].requirement.anyOf.groups must be a list of non-empty strings'],
    ],
    [
      'a client role without a client',
      kc({ anyOf: { clientRoles: ['admin'] } }),
      ["routes[0].requirement.anyOf.clientRoles: 'admin' must be written client:role"],
    ],
    [
      'an entitlement with whitespace',
      kc({ anyOf: { scopes: ['a b'] } }),
      ["routes[0].requirement.anyOf.scopes: 'a b' must not contain whitespace"],
    ],
  ])('%s', (_name, input, expected) => {
    expect(validateRoutes(input)).toEqual(expected);
  });

  it('accepts an entitlement of 255 characters', () => {
    expect(validateRoutes(kc({ anyOf: { groups: ['g'.repeat(255)] } }))).toEqual([]);
  });
});

describe('matchRoute precedence', () => {
  const table: RouteSpec[] = [
    { method: 'ANY', path: '/p/{x}', auth: 'keycloak' },
    { method: 'GET', path: '/p/{x}', auth: 'keycloak' },
    { method: 'GET', path: '/p/{rest+}', auth: 'keycloak' },
    { method: 'GET', path: '/p/lit', auth: 'keycloak' },
  ];
  it.each([
    ['GET', '/p/lit', '/p/lit', 'GET'],
    ['GET', '/p/v', '/p/{x}', 'GET'],
    ['POST', '/p/v', '/p/{x}', 'ANY'],
    ['GET', '/p/v/w', '/p/{rest+}', 'GET'],
  ])('%s %s goes to %s (%s)', (method, path, route, routeMethod) => {
    const m = matchRoute(table, method, path);
    expect([m?.route.path, m?.route.method]).toEqual([route, routeMethod]);
  });
  it('a greedy segment needs one segment at least, and a path must start with /', () => {
    expect(matchRoute([table[2]], 'GET', '/p')).toBeUndefined();
    expect(matchRoute(table, 'GET', 'p/v')).toBeUndefined();
    expect(splitPath('/a/b/')).toEqual(['a', 'b']);
    expect(splitPath('/')).toEqual([]);
  });
});

describe('grantsFor with several entitlements per alternative', () => {
  const route = (requirement: RouteSpec['requirement']): RouteSpec[] => [
    { method: 'GET', path: '/o/{org}/p/{proj}', auth: 'keycloak', requirement },
  ];
  it.each<[string, RouteSpec['requirement'], Partial<Principal>, string[]]>([
    [
      'allOf joins the values of each entitlement',
      { allOf: { realmRoles: ['org:{org}', 'proj:{org}:{proj}'] } },
      { realmRoles: ['org:a', 'org:b', 'proj:a:x', 'proj:c:y'] },
      ['GET/o/a/p/x'],
    ],
    [
      'an unbound entitlement of allOf must be held too',
      { allOf: { realmRoles: ['org:{org}'], groups: ['staff'] }, anyOf: { scopes: ['p:{proj}'] } },
      { realmRoles: ['org:a'], scopes: ['p:x'] },
      [],
    ],
    [
      'with it held, allOf and one anyOf entry',
      { allOf: { realmRoles: ['org:{org}'], groups: ['staff'] }, anyOf: { scopes: ['p:{proj}'] } },
      { realmRoles: ['org:a'], scopes: ['p:x', 'p:y'], groups: ['staff'] },
      ['GET/o/a/p/x', 'GET/o/a/p/y'],
    ],
    [
      'an alternative that leaves a parameter free writes * for it',
      { allOf: { realmRoles: ['org:{org}'] }, anyOf: { scopes: ['p:{proj}', 'all-projects'] } },
      { realmRoles: ['org:a'], scopes: ['all-projects'] },
      ['GET/o/a/p/*'],
    ],
    [
      'a held value with a character a resource cannot hold is left out',
      { allOf: { clientRoles: ['c:{org}:{proj}'] } },
      { clientRoles: ['c:a:x', 'c:a b:y', 'c:a:'] },
      ['GET/o/a/p/x'],
    ],
  ])('%s', (_name, requirement, held, allow) => {
    expect(grantsFor(route(requirement), principal(held)).allow).toEqual(allow);
  });
  it('writes at most 256 combinations', () => {
    const orgs = Array.from({ length: 20 }, (_, i) => `org:o${i}`);
    const projs = Array.from({ length: 20 }, (_, i) => `proj:p${i}`);
    const g = grantsFor(
      route({ allOf: { realmRoles: ['org:{org}', 'proj:{proj}'] } }),
      principal({ realmRoles: [...orgs, ...projs] }),
    );
    expect(g.allow).toHaveLength(256);
  });
});
