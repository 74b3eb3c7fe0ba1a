/**
 * Per-route authorization over the shared route model. The route table is compiled once per container;
 * route matches and a principal's grants are memoized so a warm request does no template parsing and
 * no regular-expression compilation.
 */
import type { Principal, RouteGrants, RouteMatch, RouteSpec } from '../../common/route-model';
import { grantsFor, matchRoute, meetsRequirement, routeKey } from '../../common/route-model';

export type RouteReason = 'allowed' | 'route_forbidden' | 'route_unknown';

export interface RouteDecision {
  readonly allowed: boolean;
  readonly reason: RouteReason;
  /** Route key of the matched route (`POST /models/{modelId}/invoke`), if any. */
  readonly route?: string;
}

export interface RouteTable {
  readonly routes: readonly RouteSpec[];
  /** The route API Gateway selected for this request, or undefined. */
  match(method: string, path: string): RouteMatch | undefined;
  /** Route key of a match, computed once per route. */
  keyOf(match: RouteMatch): string;
  /** Every keycloak route the principal may call and the protected routes it may not. */
  grants(principal: Principal): RouteGrants;
  /** Memo of decisions per principal object and matched route (a repeated token decides in a lookup). */
  readonly decisions: WeakMap<Principal, WeakMap<RouteMatch, RouteDecision>>;
}

/** Distinct request paths remembered per container; beyond this the memo starts over (bounded memory). */
const MAX_MEMO_ENTRIES = 2048;

export function compileRoutes(routes: readonly RouteSpec[]): RouteTable {
  const keys = new Map<RouteSpec, string>(routes.map((r) => [r, routeKey(r)]));
  // Per method, per path: no key concatenation on the hot path.
  const matches = new Map<string, Map<string, RouteMatch | null>>();
  let memoSize = 0;
  // Keyed by the principal object: the verified-claims cache hands back the same object for a repeated
  // token, so a warm request finds its grants without recomputing them. Collected with the principal.
  const grants = new WeakMap<Principal, RouteGrants>();
  // Grants depend on the entitlements only, and many callers share one set (a role profile, a service
  // account): a fresh token with a known set skips grantsFor. JSON keeps the key unambiguous.
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
      let g = grants.get(principal);
      if (g === undefined) {
        const key = JSON.stringify([
          principal.realmRoles,
          principal.clientRoles,
          principal.scopes,
          principal.groups,
        ]);
        g = byEntitlements.get(key);
        if (g === undefined) {
          g = grantsFor(routes, principal);
          if (byEntitlements.size >= MAX_MEMO_ENTRIES) byEntitlements.clear();
          byEntitlements.set(key, g);
        }
        grants.set(principal, g);
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
  principal: Principal,
  table: RouteTable,
  method: string,
  path: string,
): RouteDecision {
  const match = table.match(method, path);
  if (match === undefined || match.route.auth !== 'keycloak') {
    return { allowed: false, reason: 'route_unknown', route: match ? table.keyOf(match) : undefined };
  }
  let memo = table.decisions.get(principal);
  const known = memo?.get(match);
  if (known !== undefined) return known;
  const route = table.keyOf(match);
  const decision: RouteDecision = meetsRequirement(match.route.requirement, principal, match.params)
    ? { allowed: true, reason: 'allowed', route }
    : { allowed: false, reason: 'route_forbidden', route };
  if (memo === undefined) table.decisions.set(principal, (memo = new WeakMap()));
  memo.set(match, decision);
  return decision;
}
