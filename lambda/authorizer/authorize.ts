/**
 * Per-route authorization over the shared route model. The route table is compiled once per container;
 * route matches and a principal's grants are memoized so a warm request does no template parsing and
 * no regular-expression compilation.
 */
import type { Principal, RouteGrants, RouteMatch, RouteSpec } from '../../common/route-model';
import { grantsFor, matchRoute, routeAllows, routeKey } from '../../common/route-model';
import { stepUpMaskOf } from './step-up-gate';

export type RouteReason =
  'allowed' | 'route_forbidden' | 'route_unknown' | 'step_up_required' | 'acr_unknown';

export interface RouteDecision {
  readonly allowed: boolean;
  readonly reason: RouteReason;
  /** Route key of the matched route (`POST /models/{modelId}/invoke`), if any. */
  readonly route?: string;
}

/**
 * A principal, with the interned entitlements it was normalized to when it has them (VerifiedPrincipal):
 * decisions and grants depend on the entitlements alone, so they are memoized per profile.
 */
export type ProfiledPrincipal = Principal & { readonly profile?: object };

/** What per-entitlement memos are keyed on: the shared profile, else the principal object itself. */
function memoKey(principal: ProfiledPrincipal): object {
  return principal.profile ?? principal;
}

export interface RouteTable {
  readonly routes: readonly RouteSpec[];
  /** The route API Gateway selected for this request, or undefined. */
  match(method: string, path: string): RouteMatch | undefined;
  /** Route key of a match, computed once per route. */
  keyOf(match: RouteMatch): string;
  /** Every keycloak route the principal may call and the protected routes it may not. */
  grants(principal: ProfiledPrincipal): RouteGrants;
  /** Memo of decisions per entitlement profile (or principal) and matched route: decided in a lookup. */
  readonly decisions: WeakMap<object, WeakMap<RouteMatch, RouteDecision>>;
}

/** Distinct request paths remembered per container; beyond this the memo starts over (bounded memory). */
const MAX_MEMO_ENTRIES = 2048;

export function compileRoutes(routes: readonly RouteSpec[]): RouteTable {
  const keys = new Map<RouteSpec, string>(routes.map((r) => [r, routeKey(r)]));
  // Per method, per path: no key concatenation on the hot path.
  const matches = new Map<string, Map<string, RouteMatch | null>>();
  let memoSize = 0;
  // Keyed by the entitlement profile every principal with the same entitlement claims shares (or by the
  // principal object): a fresh token of a known profile finds its grants without recomputing them.
  const grants = new WeakMap<object, RouteGrants>();
  // Grants depend on the issuer and the entitlements only, and many callers share one set (a role profile,
  // a service account): a fresh token with a known set skips grantsFor. JSON keeps the key unambiguous.
  const byEntitlements = new Map<string, RouteGrants>();
  return {
    routes,
    decisions: new WeakMap(),
    match(method, path) {
      // Policies list routes without a trailing slash, so API Gateway would not allow `/models/` with
      // them: such a path is on no route, which keeps the decision and its log equal to the policy's.
      if (path.length > 1 && path.endsWith('/')) return undefined;
      let byPath = matches.get(method);
      const hit = byPath?.get(path);
      if (hit !== undefined) return hit ?? undefined;
      const m = matchRoute(routes, method, path);
      if (memoSize >= MAX_MEMO_ENTRIES) {
        matches.clear();
        memoSize = 0;
        byPath = undefined;
      }
      if (byPath === undefined) matches.set(method, (byPath = new Map()));
      byPath.set(path, m ?? null);
      memoSize++;
      return m;
    },
    keyOf(match) {
      return keys.get(match.route) ?? routeKey(match.route);
    },
    grants(principal) {
      const memo = memoKey(principal);
      let g = grants.get(memo);
      if (g === undefined) {
        const key = JSON.stringify([
          principal.issuer ?? null,
          principal.realmRoles,
          principal.clientRoles,
          principal.scopes,
          principal.groups,
          stepUpMaskOf(principal),
        ]);
        g = byEntitlements.get(key);
        if (g === undefined) {
          g = grantsFor(routes, principal);
          if (byEntitlements.size >= MAX_MEMO_ENTRIES) byEntitlements.clear();
          byEntitlements.set(key, g);
        }
        grants.set(memo, g);
      }
      return g;
    },
  };
}

/**
 * Decides one request. Only `keycloak` routes are decided here: a request on a route of another kind
 * (AWS_IAM, Cognito user pools) never reaches this authorizer in a correct deployment, so it is unknown.
 */
export function authorize(
  principal: ProfiledPrincipal,
  table: RouteTable,
  method: string,
  path: string,
): RouteDecision {
  const match = table.match(method, path);
  if (match === undefined || match.route.auth !== 'keycloak') {
    return { allowed: false, reason: 'route_unknown', route: match ? table.keyOf(match) : undefined };
  }
  const key = memoKey(principal);
  let memo = table.decisions.get(key);
  const known = memo?.get(match);
  if (known !== undefined) return known;
  const route = table.keyOf(match);
  const decision: RouteDecision = routeAllows(match, principal)
    ? { allowed: true, reason: 'allowed', route }
    : { allowed: false, reason: 'route_forbidden', route };
  if (memo === undefined) table.decisions.set(key, (memo = new WeakMap()));
  memo.set(match, decision);
  return decision;
}
