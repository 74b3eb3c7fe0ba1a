/**
 * The join of bound entitlements (common/route-model.ts grantedBindings) and its bound: the policy lists at
 * most MAX_BOUND_COMBINATIONS value combinations per route, and the decision grants exactly those, so a
 * principal holding more is refused beyond them with `grant_limit_exceeded` by the policy and the decision
 * alike (never a 403 the decision log calls an allow).
 */
import { describe, expect, it } from 'vitest';
import type { Principal, Requirement, RouteSpec } from '../../common/route-model';
import {
  MAX_BOUND_COMBINATIONS,
  MAX_JOIN_STEPS,
  grantedBindings,
  grantsFor,
  matchRoute,
  routeAllows,
  routeVerdict,
} from '../../common/route-model';
import { authorize, compileRoutes } from '../../lambda/authorizer/authorize';

function principal(p: Partial<Principal>): Principal {
  return { sub: 's', realmRoles: [], clientRoles: [], scopes: [], groups: [], ...p };
}

const get = (path: string, requirement?: Requirement): RouteSpec => ({
  method: 'GET',
  path,
  auth: 'keycloak',
  ...(requirement ? { requirement } : {}),
});

const values = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** The decision for `GET path` on a one-route table. */
function verdict(route: RouteSpec, p: Principal, path: string): string {
  const m = matchRoute([route], 'GET', path);
  if (m === undefined) throw new Error(`no route for ${path}`);
  return routeVerdict(m, p);
}

describe('grantedBindings: the bounded join', () => {
  it('the bounds are 256 combinations and 65,536 steps', () => {
    expect([MAX_BOUND_COMBINATIONS, MAX_JOIN_STEPS]).toEqual([256, 65_536]);
  });

  it('a principal holding exactly 256 values is granted all of them, completely', () => {
    const route = get('/m/{id}', { anyOf: { realmRoles: ['m:{id}'] } });
    const g = grantedBindings(route, principal({ realmRoles: values('m:v', 256) }));
    expect(g.complete).toBe(true);
    expect(g.combos).toHaveLength(256);
    expect(g.combos[255]).toEqual({ id: 'v255' });
  });

  it('one value more: the first 256 in the token’s order are granted, the join is marked incomplete', () => {
    const route = get('/m/{id}', { anyOf: { realmRoles: ['m:{id}'] } });
    const p = principal({ realmRoles: values('m:v', 257) });
    const g = grantedBindings(route, p);
    expect(g.complete).toBe(false);
    expect(g.combos.map((c) => c.id)).toEqual(values('v', 256));
    // The decision agrees with the policy both ways.
    expect(verdict(route, p, '/m/v255')).toBe('allowed');
    expect(verdict(route, p, '/m/v256')).toBe('grant_limit_exceeded');
    expect(verdict(route, p, '/m/other')).toBe('route_forbidden');
    const allow = grantsFor([route], p).allow;
    expect(allow).toHaveLength(256);
    expect(allow).toContain('GET/m/v255');
    expect(allow).not.toContain('GET/m/v256');
  });

  it('the token’s order decides which values are kept', () => {
    const route = get('/m/{id}', { anyOf: { realmRoles: ['m:{id}'] } });
    const p = principal({ realmRoles: values('m:v', 300).reverse() });
    expect(verdict(route, p, '/m/v299')).toBe('allowed');
    expect(verdict(route, p, '/m/v44')).toBe('allowed');
    expect(verdict(route, p, '/m/v43')).toBe('grant_limit_exceeded');
  });

  it('values two alternatives both grant count once', () => {
    const route = get('/m/{id}', { anyOf: { realmRoles: ['m:{id}'], groups: ['g:{id}'] } });
    const p = principal({ realmRoles: values('m:v', 200), groups: values('g:v', 200) });
    const g = grantedBindings(route, p);
    expect(g).toEqual({ complete: true, combos: values('v', 200).map((id) => ({ id })) });
  });

  it('a join on one parameter looks the second entitlement up: 300 held values and one match grant one', () => {
    // Was refused by the policy while the decision allowed it, when the join kept only 256 partial values.
    const route = get('/m/{x}', { allOf: { realmRoles: ['a:{x}', 'b:{x}'] } });
    const p = principal({ realmRoles: [...values('a:v', 300), 'b:v256'] });
    expect(grantedBindings(route, p)).toEqual({ complete: true, combos: [{ x: 'v256' }] });
    expect(grantsFor([route], p).allow).toEqual(['GET/m/v256']);
    expect(verdict(route, p, '/m/v256')).toBe('allowed');
    expect(verdict(route, p, '/m/v1')).toBe('route_forbidden');
  });

  it('a product of two parameters past the bound is cut in the order of the first one', () => {
    const route = get('/o/{org}/p/{proj}', { allOf: { realmRoles: ['org:{org}', 'proj:{proj}'] } });
    const p = principal({ realmRoles: [...values('org:o', 20), ...values('proj:p', 20)] });
    const g = grantedBindings(route, p);
    expect(g.complete).toBe(false);
    expect(g.combos).toHaveLength(256);
    // 12 orgs with every project, then the 13th with 16 of them.
    expect(g.combos[255]).toEqual({ org: 'o12', proj: 'p15' });
    expect(verdict(route, p, '/o/o12/p/p15')).toBe('allowed');
    expect(verdict(route, p, '/o/o12/p/p16')).toBe('grant_limit_exceeded');
    expect(verdict(route, p, '/o/o19/p/p0')).toBe('grant_limit_exceeded');
  });

  it('an alternative leaving a parameter free is joined first, and covers every value of it', () => {
    const route = get('/o/{org}/p/{proj}', {
      allOf: { realmRoles: ['org:{org}'] },
      anyOf: { scopes: ['p:{proj}', 'all'] },
    });
    // 300 project values would pass the bound, but `all` already grants every project of org a.
    const p = principal({ realmRoles: ['org:a'], scopes: [...values('p:x', 300), 'all'] });
    expect(grantedBindings(route, p)).toEqual({ complete: true, combos: [{ org: 'a' }] });
    expect(grantsFor([route], p).allow).toEqual(['GET/o/a/p/*']);
    expect(verdict(route, p, '/o/a/p/x299')).toBe('allowed');
    // Project values of another org are not covered by it, and count.
    const q = principal({ realmRoles: ['org:a', 'org:b'], scopes: [...values('p:x', 300), 'all'] });
    const g = grantedBindings(route, q);
    expect(g.complete).toBe(true);
    expect(g.combos).toEqual([{ org: 'a' }, { org: 'b' }]);
  });

  it('a join that would take more than MAX_JOIN_STEPS steps stops, and grants only what it found', () => {
    // 300 × 300 pairs, of which only the last is held as a pair: the walk stops long before.
    const route = get('/{x}/{y}', { allOf: { realmRoles: ['a:{x}', 'b:{y}', 'c:{x}:{y}'] } });
    const p = principal({ realmRoles: [...values('a:v', 300), ...values('b:w', 300), 'c:v299:w299'] });
    expect(grantedBindings(route, p)).toEqual({ complete: false, combos: [] });
    expect(verdict(route, p, '/v299/w299')).toBe('grant_limit_exceeded');
    expect(verdict(route, p, '/v0/w0')).toBe('route_forbidden');
    expect(grantsFor([route], p).allow).toEqual([]);
    // The same pair found early is granted.
    const q = principal({
      realmRoles: ['a:v299', ...values('a:v', 299), ...values('b:w', 300), 'c:v299:w299'],
    });
    expect(grantedBindings(route, q).combos).toEqual([{ x: 'v299', y: 'w299' }]);
    expect(verdict(route, q, '/v299/w299')).toBe('allowed');
  });

  it('counts its steps exactly: a join of exactly MAX_JOIN_STEPS steps completes, one step more stops it', () => {
    // With `r:{x}`, a held `r:` + s walks one step per character of s it tries: s of 1 to 128 safe
    // characters costs len(s) steps and its leaf one more (a combination); a character that cannot be written
    // at position p stops the walk there after p steps, with no combination. The join's own call is one step.
    const route = get('/{x}', { anyOf: { realmRoles: ['r:{x}'] } });
    /** A held role costing exactly `cost` steps (1..128) and granting nothing, distinct per `i`. */
    const junk = (i: number, cost: number): string =>
      `r:${String(i)
        .padStart(4, '0')
        .slice(0, cost - 1)}${'a'.repeat(Math.max(0, cost - 5))}/`;
    // 1 (the join) + 3 (`r:ok`: two characters, then its leaf) + 511 × 128 + 124 = 65,536
    const exact = ['r:ok', ...Array.from({ length: 511 }, (_, i) => junk(i, 128)), junk(511, 124)];
    expect(1 + 3 + 511 * 128 + 124).toBe(MAX_JOIN_STEPS);
    expect(grantedBindings(route, principal({ realmRoles: exact }))).toEqual({
      complete: true,
      combos: [{ x: 'ok' }],
    });
    // One held role costing one step more (`r:/`): the join stops, and what it found stays granted.
    expect(grantedBindings(route, principal({ realmRoles: [...exact, 'r:/'] }))).toEqual({
      complete: false,
      combos: [{ x: 'ok' }],
    });
  });

  it('takes no more steps than it needs: two entitlements binding one parameter, 200 values each', () => {
    // Once `a:{x}` fixed x, `b:{x}` is one look-up, not a walk over every held `b:` value: the join
    // completes well under MAX_JOIN_STEPS and grants every value.
    const route = get('/{x}', { allOf: { realmRoles: ['a:{x}', 'b:{x}'] } });
    const p = principal({ realmRoles: [...values('a:v', 200), ...values('b:v', 200)] });
    const g = grantedBindings(route, p);
    expect(g.complete).toBe(true);
    expect(g.combos.map((c) => c.x)).toEqual(values('v', 200));
    // With 10,000 `a:` values and one `b:` value, a failed look-up ends its branch at once: the join
    // completes (about 6 steps per value) and grants the one value held under both.
    const many = principal({ realmRoles: [...values('a:v', 10_000), 'b:v9999'] });
    expect(grantedBindings(route, many)).toEqual({ complete: true, combos: [{ x: 'v9999' }] });
  });

  it('takes no more steps than it needs: a value fixed by one entitlement is not walked again by the next', () => {
    // `b:{x}:{y}` with x fixed walks only y's characters, not every split of the held value.
    const route = get('/{x}/{y}', { allOf: { realmRoles: ['a:{x}', 'b:{x}:{y}'] } });
    const p = principal({
      realmRoles: [...values('a:v', 100), ...values('a:v', 100).map((a) => `b:${a.slice(2)}:w`)],
    });
    const g = grantedBindings(route, p);
    expect(g.complete).toBe(true);
    expect(g.combos).toHaveLength(100);
    expect(g.combos[99]).toEqual({ x: 'v99', y: 'w' });
  });

  it('decides a route without bindings without the join: a requirement of 513 scopes met by the last', () => {
    // The join would count a step per held scope and alternative and stop at MAX_JOIN_STEPS; a route
    // without bindings is decided by meetsRequirement alone.
    const allOf = values('all', 255);
    const anyOf = values('any', 258);
    const route = get('/s', { allOf: { scopes: allOf }, anyOf: { scopes: anyOf } });
    const p = principal({ scopes: [...allOf, anyOf[257]] });
    expect(verdict(route, p, '/s')).toBe('allowed');
    expect(verdict(route, principal({ scopes: allOf }), '/s')).toBe('route_forbidden');
  });

  it('a template fitting one held value in several ways grants each way', () => {
    // `k:{x}:{y}` fits `k:a0:a1:…:a19` at each of its 19 inner colons.
    const route = get('/{x}/{y}', { anyOf: { realmRoles: ['k:{x}:{y}'] } });
    const held = `k:${values('a', 20).join(':')}`;
    const g = grantedBindings(route, principal({ realmRoles: [held] }));
    expect(g.complete).toBe(true);
    expect(g.combos).toHaveLength(19);
    expect(g.combos[0]).toEqual({ x: 'a0', y: held.slice('k:a0:'.length) });
  });

  it('the decision log’s reason: grant_limit_exceeded is a 403 on the matched route', () => {
    const route = get('/m/{id}', { anyOf: { realmRoles: ['m:{id}'] } });
    const p = principal({ realmRoles: values('m:v', 300) });
    const table = compileRoutes([route]);
    expect(authorize(p, table, 'GET', '/m/v299')).toEqual({
      allowed: false,
      reason: 'grant_limit_exceeded',
      route: 'GET /m/{id}',
    });
    expect(authorize(p, table, 'GET', '/m/v0')).toEqual({
      allowed: true,
      reason: 'allowed',
      route: 'GET /m/{id}',
    });
    expect(routeAllows(matchRoute([route], 'GET', '/m/v299')!, p)).toBe(false);
  });

  it('one combination found by two alternatives in another order of its parameters counts once', () => {
    const route = get('/{x}/{y}', { anyOf: { realmRoles: ['a:{x}:{y}'], groups: ['g:{y}:{x}'] } });
    const g = grantedBindings(route, principal({ realmRoles: ['a:1:2'], groups: ['g:2:1'] }));
    expect(g).toEqual({ complete: true, combos: [{ x: '1', y: '2' }] });
  });

  it('a held value a resource cannot hold is refused by the decision too, bound or not in the policy', () => {
    const route = get('/m/{id}', { anyOf: { realmRoles: ['m:{id}'] } });
    const p = principal({ realmRoles: ['m:a!b', 'm:ok'] });
    expect(verdict(route, p, '/m/a!b')).toBe('route_forbidden');
    expect(verdict(route, p, '/m/ok')).toBe('allowed');
    expect(grantsFor([route], p).allow).toEqual(['GET/m/ok']);
  });
});
