/**
 * Per-route authorization over the shared route model. The route table is compiled once per container
 * (templates parsed; the table's reach relation worked out for a route when a policy first denies it); the
 * pipeline matches each request once and decides on that match.
 */
import type { Principal, RouteGrants, RouteMatch, RouteSpec } from '../../common/route-model';
import { isCanonicalPath } from '../../common/canonical-path';
import type { EntitlementLists, PolicyDocument } from './build-response';
import { buildPolicy, entitlementLists } from './build-response';
import {
  analyzeRoutes,
  compileRouteMatcher,
  grantsFor,
  routeKey,
  routeVerdict,
} from '../../common/route-model';

export type RouteReason =
  | 'allowed'
  | 'route_forbidden'
  | 'route_unknown'
  | 'path_not_canonical'
  | 'step_up_required'
  | 'acr_unknown'
  | 'grant_limit_exceeded';

export interface RouteDecision {
  readonly allowed: boolean;
  readonly reason: RouteReason;
  /** Route key of the matched route (`POST /models/{modelId}/invoke`), if any. */
  readonly route?: string;
}

/**
 * A principal, with the interned entitlements it was normalized to when it has them (VerifiedPrincipal):
 * grants depend on the entitlements alone, so they are kept per profile; and, with step-up routes, the
 * step-up requirements its sign-in meets (`variant`, step-up-gate.ts), which answers depend on too.
 */
export type ProfiledPrincipal = Principal & {
  readonly profile?: { readonly answers?: object };
  readonly variant?: string;
};

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
  /**
   * decideRoute for this request, remembered per profile and request (method and path); the route is read
   * from `route.match` only when the profile has no answer for the request yet.
   */
  decide(
    principal: ProfiledPrincipal,
    method: string,
    path: string,
    route: { readonly match: RouteMatch | undefined },
  ): RouteDecision;
  /**
   * A further answer that depends on the profile (and variant) alone, worked out once by `compute` and kept
   * with the profile's other answers under `name` (the step-up challenge of a cached answer).
   */
  derived<T>(principal: ProfiledPrincipal, name: string, compute: () => T): T;
}

/** What depends on a principal's entitlements alone: the entry of the profile cache. */
interface ProfileAnswers {
  readonly grants: RouteGrants;
  readonly lists: EntitlementLists;
  /** Policy documents by ARN prefix (one per API stage). */
  readonly policies: Map<string, PolicyDocument>;
  /** Decisions by `METHOD path`. */
  readonly decisions: Map<string, RouteDecision>;
  /** Further answers by name (RouteTable.derived). */
  readonly derived: Map<string, unknown>;
}

/** The entry of one profile: its answers, or with step-up routes its answers per variant. */
interface ProfileEntry {
  plain?: ProfileAnswers;
  variants?: Map<string, ProfileAnswers>;
}

/** Entries of a profile's policy and decision maps; beyond this a map starts over (bounded memory). */
const MAX_PER_PROFILE = 256;

export function compileRoutes(routes: readonly RouteSpec[]): RouteTable {
  const matcher = compileRouteMatcher(routes);
  const analysis = analyzeRoutes(routes);
  // The answers of a profile live in the profile's own holder (the profile cache's entry, docs/authorizer.md
  // "Caches"; claims-to-principal.ts bounds the profiles), so a fresh token of a known profile finds its
  // grants, policy and decisions without working them out again. With step-up routes, one set per variant
  // (the step-up results), at most MAX_PER_PROFILE. A principal built by hand, without a profile (callers of
  // the table outside the pipeline, whose principals always have one), has its holder by object, weakly.
  const byPrincipal = new WeakMap<object, ProfileEntry>();
  const fresh = (principal: ProfiledPrincipal): ProfileAnswers => ({
    grants: grantsFor(routes, principal, analysis),
    lists: entitlementLists(principal),
    policies: new Map(),
    decisions: new Map(),
    derived: new Map(),
  });
  const answers = (principal: ProfiledPrincipal): ProfileAnswers => {
    let entry = principal.profile?.answers as ProfileEntry | undefined;
    if (entry === undefined) {
      entry = byPrincipal.get(principal);
      if (entry === undefined) byPrincipal.set(principal, (entry = {}));
    }
    const variant = principal.variant;
    if (variant === undefined) return (entry.plain ??= fresh(principal));
    const variants = (entry.variants ??= new Map());
    let a = variants.get(variant);
    if (a === undefined) {
      if (variants.size >= MAX_PER_PROFILE) variants.clear();
      variants.set(variant, (a = fresh(principal)));
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
    decide(principal, method, path, route) {
      // The decision depends on the principal's entitlements and issuer (both in the profile key) and the
      // matched route and parameters, which the table derives from the method and path alone.
      const a = answers(principal);
      const key = `${method} ${path}`;
      let d = a.decisions.get(key);
      if (d === undefined) {
        d = decideRoute(principal, route.match);
        if (a.decisions.size >= MAX_PER_PROFILE) a.decisions.clear();
        a.decisions.set(key, d);
      }
      return d;
    },
    derived<T>(principal: ProfiledPrincipal, name: string, compute: () => T): T {
      const memo = answers(principal).derived;
      if (!memo.has(name)) memo.set(name, compute());
      return memo.get(name) as T;
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
  const verdict = routeVerdict(match, principal);
  return { allowed: verdict === 'allowed', reason: verdict, route };
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
