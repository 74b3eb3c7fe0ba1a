import { describe, expect, it } from 'vitest';
import type { Principal, RouteSpec } from '../../common/route-model';
import {
  boundParams,
  grantsFor,
  matchRoute,
  meetsRequirement,
  parsePathTemplate,
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
  it('no requirement means any valid token', () => {
    expect(meetsRequirement(undefined, principal({}))).toBe(true);
  });
  it('lists bound params', () => {
    expect(boundParams(invoke)).toEqual(['modelId']);
  });
});

describe('grantsFor', () => {
  it('lists concrete bound routes, skips values a resource cannot hold, and denies nothing no allow reaches', () => {
    const g = grantsFor(
      routes,
      principal({ realmRoles: ['model:sentiment:invoke', 'model:bad/x:invoke', 'model:*:invoke'] }),
    );
    expect(g.allow).toEqual(['GET/models', 'POST/models/sentiment/invoke']);
    expect(g.deny).toEqual([]);
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
      deny: ['GET/r/*/raw'],
    });
    expect(grantsFor(table, principal({ realmRoles: ['admin'] }))).toEqual({
      allow: ['GET/r/*/raw'],
      deny: [],
    });
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
