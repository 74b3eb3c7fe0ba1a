/**
 * The whole-table checks of a route table: the route shapes a cached policy cannot express, for a table
 * served with API Gateway's result cache on (common/route-model.ts routeIssues runs them after each
 * route's own checks; the argument is in docs/security.md), and the size of the largest policy the
 * table can produce (common/aws-limits.ts).
 *
 * The authorizer bundles this file into a module of its own (`route-checks.js`, with common/route-reach.ts)
 * and runs it at cold start only for a configuration the construct did not check
 * (common/config-digest.ts).
 */
import { policySizeErrors } from './aws-limits';
import type { FieldIssue } from './field-issue';
import { issuesAbout } from './field-issue';
import type { Atom, RouteSpec } from './route-model';
import { boundParams, conjunctsOf, parsePathTemplate, routeKey } from './route-model';
import { looselyBound, routeReach } from './route-reach';

/**
 * The route shapes a cached policy cannot express (with the result cache off the authorizer answers for
 * the exact request ARN, and none of this applies). Messages name the routes and the fix.
 */
export function checkCachedPolicies(routes: readonly RouteSpec[], field: string): FieldIssue[] {
  const errors: FieldIssue[] = [];
  // Each problem is about a route of the table, named by its index.
  const add = (route: RouteSpec, message: string): void => {
    errors.push({ path: `${field}[${routes.indexOf(route)}]`, message });
  };
  const analysis = routeReach(routes);
  const keycloak = routes.filter((r) => r.auth === 'keycloak');
  const fix = 'give the routes distinct literal segments, or set the authorizer result cache TTL to 0';
  for (const b of keycloak) {
    const bound = boundParams(b.requirement);
    if (bound.length === 0) continue;
    const names = bound.map((n) => `{${n}}`).join(', ');
    // (1) No other route's resource may match a binding route's requests: a partly allowed binding route
    // cannot be protected by a Deny, and another route's allow would let the wrong values through.
    for (const x of keycloak) {
      if (x !== b && analysis.reaches(x, b)) {
        add(
          b,
          `${field}: ${routeKey(x)} and ${routeKey(b)} overlap: a policy resource allowing ${routeKey(x)} would also ` +
            `match requests of ${routeKey(b)}, whose requirement binds ${names} (IAM's * also matches '/', and IAM ` +
            `has no single-segment wildcard), so a cached policy could allow ${routeKey(b)} for values it does not grant; ${fix}`,
        );
      }
    }
    // (3) Within the route, a `*` before a bound segment could absorb segments and shift the bound value.
    const tpl = parsePathTemplate(b.path);
    const loose = looselyBound(b.requirement);
    const star = tpl.findIndex(
      (s) => s.kind === 'greedy' || (s.kind === 'param' && (!bound.includes(s.name) || loose.has(s.name))),
    );
    let lastBound = -1;
    tpl.forEach((s, i) => {
      if (s.kind === 'param' && bound.includes(s.name)) lastBound = i;
    });
    if (star >= 0 && star < lastBound) {
      const wild = tpl[star] as { name: string };
      const tight = tpl[lastBound] as { name: string };
      add(
        b,
        `${field}: ${routeKey(b)} has {${wild.name}} before {${tight.name}}, which its requirement binds: its policy ` +
          `resource writes * for {${wild.name}}, and IAM's * also matches '/', so a cached allow for one {${tight.name}} ` +
          `could match a request for another; put the bound parameter before every free one, or set the authorizer result cache TTL to 0`,
      );
    }
  }
  // (2) A Deny written for a route (because another allowed resource matches its requests) must not
  // match the requests of a route the same caller may be allowed.
  for (const d of keycloak) {
    if (boundParams(d.requirement).length > 0 || !deniable(d)) continue;
    const allowers = analysis.reachedBy(d);
    if (allowers.length === 0) continue;
    const hit: { x: RouteSpec; t: RouteSpec }[] = [];
    for (const t of keycloak) {
      if (t === d || boundParams(t.requirement).length > 0 || !analysis.reaches(d, t)) continue;
      const x = allowers.find((a) => maySplit(a, t, d));
      if (x !== undefined) hit.push({ x, t });
    }
    if (hit.length === 0) continue;
    const { x } = hit[0];
    const others = hit.map((h) => routeKey(h.t)).join(', ');
    add(
      d,
      `${field}: ${routeKey(d)} overlaps ${routeKey(x)}: a caller allowed ${routeKey(x)} but not ${routeKey(d)} ` +
        `gets a Deny for ${routeKey(d)}, whose resource also matches requests of ${others} (IAM's * also matches ` +
        "'/'), which the same caller may be allowed; give the routes distinct literal segments, give them the same " +
        'requirement, or set the authorizer result cache TTL to 0',
    );
  }
  return errors;
}

/**
 * A route some caller may be refused: it has a requirement that not every valid token meets. A route
 * scoped to issuers refuses the tokens of every other trusted issuer.
 */
function deniable(route: RouteSpec): boolean {
  if (route.requirement?.issuers !== undefined || route.requirement?.stepUp !== undefined) return true;
  return conjunctsOf(route.requirement).every((c) => c.length > 0);
}

/**
 * The issuers' part of maySplit: 'split' when one issuer's token may meet the scopes of `x` and `t` but
 * not of `d`; 'never' when no one token meets both `x` and `t`; else 'entitlements' (decide on those).
 * No scope means any issuer, and another trusted issuer may always exist outside a scope.
 */
function issuerSplit(x: RouteSpec, t: RouteSpec, d: RouteSpec): 'split' | 'never' | 'entitlements' {
  const sx = x.requirement?.issuers;
  const st = t.requirement?.issuers;
  const sd = d.requirement?.issuers;
  const both = sx && st ? sx.filter((i) => st.includes(i)) : (sx ?? st);
  if (both !== undefined && both.length === 0) return 'never';
  if (sd === undefined) return 'entitlements';
  if (both === undefined) return 'split';
  return both.some((i) => !sd.includes(i)) ? 'split' : 'entitlements';
}

/**
 * Could one caller be allowed `x` and `t` but refused `d` (`t` and `d` bind nothing)? Exact over
 * entitlements: give the caller exactly the entitlements of one alternative of `x` and one of `t`
 * (bound ones with values no other entitlement names, so they are left out) and see whether `d` holds.
 * Issuer scopes are decided first (issuerSplit); requirement fields other than allOf, anyOf and issuers
 * are not modelled: then only identical requirements of `t` and `d` count as deciding alike.
 */
function maySplit(x: RouteSpec, t: RouteSpec, d: RouteSpec): boolean {
  const issuers = issuerSplit(x, t, d);
  if (issuers !== 'entitlements') return issuers === 'split';
  const entitlementsOnly = (r: RouteSpec): boolean =>
    Object.keys(r.requirement ?? {}).every((k) => k === 'allOf' || k === 'anyOf' || k === 'issuers');
  if (![x, t, d].every(entitlementsOnly))
    return JSON.stringify(t.requirement) !== JSON.stringify(d.requirement);
  const key = (a: Atom): string => `${a.kind}\u0000${a.tpl}`;
  for (const cx of conjunctsOf(x.requirement)) {
    for (const ct of conjunctsOf(t.requirement)) {
      const held = new Set([...cx.filter((a) => a.params.length === 0), ...ct].map(key));
      if (!conjunctsOf(d.requirement).some((cd) => cd.every((a) => held.has(key(a))))) return true;
    }
  }
  return false;
}

/** The table's largest policy must fit the authorizer's answer (common/aws-limits.ts policySizeErrors). */
export function policySizeIssues(routes: readonly RouteSpec[], field: string): FieldIssue[] {
  return issuesAbout(field, policySizeErrors(routes, field));
}
