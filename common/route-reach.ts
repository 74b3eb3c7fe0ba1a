/**
 * Reach: which routes' resources can match which routes' requests, the relation behind both the checks
 * of a table a cached policy must express (common/route-table-checks.ts) and the Deny statements of a
 * policy (common/route-model.ts grantsFor).
 *
 * The authorizer bundles this file, with the checks, into a module of its own (`route-checks.js`,
 * lib/internal/lambda-entries.ts) that it loads only when a table needs them: a configuration the
 * construct did not check (common/config-digest.ts), or a first policy that denies a route.
 */
import type { PathToken } from './route-overlap';
import { languagesIntersect, literalTokens, REST, SEG, SEG0, STAR } from './route-overlap';
import type { PathSegment, Requirement, RouteAnalysis, RouteSpec } from './route-model';
import { boundParams, compileRouteMatcher, conjunctsOf, methodsOf, parsePathTemplate } from './route-model';

/** Bound parameters some alternative does not name: a policy may then write `*` for them. */
export function looselyBound(requirement: Requirement | undefined): Set<string> {
  const out = new Set<string>();
  for (const name of boundParams(requirement)) {
    if (conjunctsOf(requirement).some((c) => !c.some((a) => a.params.includes(name)))) out.add(name);
  }
  return out;
}
/** `/` and the template's tokens: what Keygate may write for a route (over every principal). */
function patternTokens(route: RouteSpec): PathToken[] {
  const loose = looselyBound(route.requirement);
  const bound = new Set(boundParams(route.requirement));
  return templateTokens(route, (s) =>
    s.kind === 'param' && bound.has(s.name) && !loose.has(s.name) ? [SEG] : [STAR],
  );
}

/** The request paths routed to a route, over-approximated by its template (raw ARN characters). */
function requestTokens(route: RouteSpec): PathToken[] {
  return templateTokens(route, (s) => (s.kind === 'greedy' ? [REST] : [SEG0]));
}

function templateTokens(
  route: RouteSpec,
  variable: (s: Exclude<PathSegment, { kind: 'literal' }>) => PathToken[],
): PathToken[] {
  const tpl = parsePathTemplate(route.path);
  if (tpl.length === 0) return literalTokens('/');
  return tpl.flatMap((s) => [
    ...literalTokens('/'),
    ...(s.kind === 'literal' ? literalTokens(s.value) : variable(s)),
  ]);
}
/**
 * The reach relation of a route table, worked out for one target route when it is first asked about: a
 * policy needs it only for the routes its principal is refused (grantsFor), the checks for every route.
 */
export function routeReach(routes: readonly RouteSpec[]): RouteAnalysis {
  const match = compileRouteMatcher(routes);
  const keycloak = routes.filter((r) => r.auth === 'keycloak');
  const patterns = new Map<RouteSpec, { readonly tokens: PathToken[]; readonly exact?: string }>();
  const patternOf = (a: RouteSpec): { readonly tokens: PathToken[]; readonly exact?: string } => {
    let p = patterns.get(a);
    if (p === undefined) {
      const tokens = patternTokens(a);
      // A pattern without wildcards is one path per method: where the table routes it is known exactly
      // (a literal route beats the parameters of another, so they do not overlap).
      const exact = tokens.every((t) => t.kind === 'char')
        ? tokens.map((t) => (t as { c: string }).c).join('')
        : undefined;
      patterns.set(a, (p = { tokens, exact }));
    }
    return p;
  };
  const reach = new Map<RouteSpec, ReadonlySet<RouteSpec>>();
  /** The keycloak routes whose resources may match a request routed to `b`, in the table's order. */
  const into = (b: RouteSpec): ReadonlySet<RouteSpec> => {
    let found = reach.get(b);
    if (found !== undefined) return found;
    const set = new Set<RouteSpec>();
    if (keycloak.includes(b)) {
      const request = requestTokens(b);
      for (const a of keycloak) {
        if (a === b) continue;
        const methods = methodsOf(a).filter((m) => methodsOf(b).includes(m));
        if (methods.length === 0) continue;
        const { tokens, exact } = patternOf(a);
        const meets =
          exact !== undefined
            ? methods.some((m) => match(m, exact)?.route === b)
            : languagesIntersect(tokens, request);
        if (meets) set.add(a);
      }
    }
    reach.set(b, (found = set));
    return found;
  };
  return {
    reaches: (a, b) => into(b).has(a),
    reachedBy: (d) => [...into(d)],
  };
}
