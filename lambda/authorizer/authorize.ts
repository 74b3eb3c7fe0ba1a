/**
 * Per-route authorization over the shared route model. The route table is compiled once per container
 * (templates parsed, the table's reach relation worked out); the pipeline matches each request once and
 * decides on that match.
 */
import type { Principal, RouteGrants, RouteMatch, RouteSpec } from '../../common/route-model';
import { isCanonicalPath } from '../../common/canonical-path';
import type { EntitlementLists, PolicyDocument } from './build-response';
import { buildPolicy, entitlementLists } from './build-response';
import {
  analyzeRoutes,
  compileRouteMatcher,
  grantsFor,
  routeAllows,
  routeKey,
} from '../../common/route-model';

export type RouteReason =
  'allowed' | 'route_forbidden' | 'route_unknown' | 'path_not_canonical' | 'step_up_required' | 'acr_unknown';

export interface RouteDecision {
  readonly allowed: boolean;
  readonly reason: RouteReason;
  /** Route key of the matched route (`POST /models/{modelId}/invoke`), if any. */
  readonly route?: string;
}

/**
 * A principal, with the interned entitlements it was normalized to when it has them (VerifiedPrincipal):
 * grants depend on the entitlements alone, so they are kept per profile.
 */
export type ProfiledPrincipal = Principal & { readonly profile?: object };

export interface RouteTable {
  readonly routes: readonly RouteSpec[];
  /** The route API Gateway selected for this request, or undefined. */
  match(method: string, path: string): RouteMatch | undefined;
  /** Every keycloak route the principal may call and the protected routes it may not. */
  grants(principal: ProfiledPrincipal): RouteGrants;
  /** The IAM policy document of the principal's grants on one API and stage (`arnPrefix`). */
  policy(principal: ProfiledPrincipal, arnPrefix: string): PolicyDocument;
  /** The principal's entitlement lists as the authorizer context carries them. */
  lists(principal: ProfiledPrincipal): EntitlementLists;
  /** decideRoute for this request, remembered per profile and request (method and path). */
  decide(
    principal: ProfiledPrincipal,
    method: string,
    path: string,
    match: RouteMatch | undefined,
  ): RouteDecision;
}

/** What depends on a principal's entitlements alone: the entry of the profile cache. */
interface ProfileAnswers {
  readonly grants: RouteGrants;
  readonly lists: EntitlementLists;
  /** Policy documents by ARN prefix (one per API stage). */
  readonly policies: Map<string, PolicyDocument>;
  /** Decisions by `METHOD path`. */
  readonly decisions: Map<string, RouteDecision>;
}

/** Entries of a profile's policy and decision maps; beyond this a map starts over (bounded memory). */
const MAX_PER_PROFILE = 256;

export function compileRoutes(routes: readonly RouteSpec[]): RouteTable {
  const matcher = compileRouteMatcher(routes);
  const analysis = analyzeRoutes(routes);
  // The profile-answers cache (docs/authorizer.md, "Caches"): keyed by the entitlement profile that every
  // principal with the same entitlement claims shares (or by a hand-built principal object), so a fresh
  // token of a known profile finds its grants, policy and decisions without working them out again.
  // Weak: an entry lives as long as its profile (claims-to-principal.ts bounds the profiles).
  const byProfile = new WeakMap<object, ProfileAnswers>();
  const answers = (principal: ProfiledPrincipal): ProfileAnswers => {
    const key = principal.profile ?? principal;
    let a = byProfile.get(key);
    if (a === undefined) {
      a = {
        grants: grantsFor(routes, principal, analysis),
        lists: entitlementLists(principal),
        policies: new Map(),
        decisions: new Map(),
      };
      byProfile.set(key, a);
    }
    return a;
  };
  return {
    routes,
    match(method, path) {
      // Policies list routes without a trailing slash, so API Gateway would not allow `/models/` with
      // them: such a path is on no route, which keeps the decision and its log equal to the policy's.
      if (path.length > 1 && path.endsWith('/')) return undefined;
      return matcher(method, path);
    },
    grants: (principal) => answers(principal).grants,
    lists: (principal) => answers(principal).lists,
    policy(principal, arnPrefix) {
      const a = answers(principal);
      let doc = a.policies.get(arnPrefix);
      if (doc === undefined) {
        doc = buildPolicy(arnPrefix, a.grants);
        if (a.policies.size >= MAX_PER_PROFILE) a.policies.clear();
        a.policies.set(arnPrefix, doc);
      }
      return doc;
    },
    decide(principal, method, path, match) {
      // The decision depends on the principal's entitlements and issuer (both in the profile key) and the
      // matched route and parameters, which the table derives from the method and path alone.
      const a = answers(principal);
      const key = `${method} ${path}`;
      let d = a.decisions.get(key);
      if (d === undefined) {
        d = decideRoute(principal, match);
        if (a.decisions.size >= MAX_PER_PROFILE) a.decisions.clear();
        a.decisions.set(key, d);
      }
      return d;
    },
  };
}

/**
 * Decides one request on the route it matched. Only `keycloak` routes are decided here: a request on a
 * route of another kind (AWS_IAM, Cognito user pools) never reaches this authorizer in a correct
 * deployment, so it is unknown.
 */
export function decideRoute(principal: Principal, match: RouteMatch | undefined): RouteDecision {
  const route = match && routeKey(match.route);
  if (match === undefined || match.route.auth !== 'keycloak') {
    return { allowed: false, reason: 'route_unknown', route };
  }
  return routeAllows(match, principal)
    ? { allowed: true, reason: 'allowed', route }
    : { allowed: false, reason: 'route_forbidden', route };
}

/** Matches and decides in one call (tests, the local gateway): the pipeline matches once and reuses it. */
export function authorize(
  principal: ProfiledPrincipal,
  table: RouteTable,
  method: string,
  path: string,
): RouteDecision {
  // Whatever route API Gateway chose for such a spelling, the policy denies it (common/canonical-path.ts).
  if (!isCanonicalPath(path)) return { allowed: false, reason: 'path_not_canonical' };
  return decideRoute(principal, table.match(method, path));
}
