/**
 * The one route model shared by the constructs (lib/), the authorizer (lambda/), the local gateway and
 * the realm definition. Plain types and pure functions only: no AWS SDK, no CDK, no I/O.
 *
 * A route is `METHOD /path/{param}` plus how it is authorized. Keycloak routes carry a requirement over
 * the caller's entitlements (realm roles, client roles, scopes, groups). An entitlement may name a path
 * parameter in braces (`model:{modelId}:invoke`), which binds the requirement to the concrete path.
 */
import { NON_CANONICAL_PATH_RESOURCES } from './canonical-path';
import type { Assurance, StepUpRequirement } from './step-up';
import { meetsStepUp, stepUpIssues } from './step-up';
import type { FieldIssue } from './field-issue';
import { fieldIssue, messagesOf } from './field-issue';
import { routeReach } from './route-reach';
import { checkCachedPolicies } from './route-table-checks';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
/** The methods API Gateway routes: ANY stands for each of these (and a policy names each). */
export const CONCRETE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type ConcreteMethod = (typeof CONCRETE_METHODS)[number];

/**
 * How a route is authorized.
 * - `keycloak`: the Keygate Lambda authorizer (Keycloak or Cognito-federated tokens) and a requirement.
 * - `iam`: API Gateway's AWS_IAM authorization (SigV4), for machine callers.
 * - `cognito-user-pool`: API Gateway's native Cognito user-pools authorizer (REST only): "signed in".
 */
export const ROUTE_AUTH_KINDS = ['keycloak', 'iam', 'cognito-user-pool'] as const;
export type RouteAuthKind = (typeof ROUTE_AUTH_KINDS)[number];

/** Entitlements named by a requirement. Client roles are written `client:role`. */
export interface Entitlements {
  readonly realmRoles?: readonly string[];
  readonly clientRoles?: readonly string[];
  readonly scopes?: readonly string[];
  readonly groups?: readonly string[];
}

/**
 * A route requirement. The caller must hold every entitlement in `allOf` AND at least one entitlement in
 * `anyOf` (when given). A requirement with neither means "any valid token".
 *
 * `issuers` scopes it: only a token of one of these issuers (exact `iss`) can meet it, whatever roles,
 * scopes or groups another issuer put into its tokens. Required on every keycloak route when several
 * issuers are trusted (validated with the authorizer config); with one trusted issuer it may be left out.
 */
export interface Requirement {
  readonly allOf?: Entitlements;
  readonly anyOf?: Entitlements;
  /** Exact issuer URLs whose tokens may meet the requirement. @default - any trusted issuer */
  readonly issuers?: readonly string[];
  /** How strongly and recently the caller must have signed in (common/step-up.ts). @default - no demand */
  readonly stepUp?: StepUpRequirement;
}

export interface RouteSpec {
  readonly method: HttpMethod;
  /** Path template, e.g. `/models/{modelId}/invoke`; a final `{name+}` is greedy. */
  readonly path: string;
  readonly auth: RouteAuthKind;
  /** Only for `keycloak` routes. @default - any valid token */
  readonly requirement?: Requirement;
}

/** The verified caller as the authorizer and the local gateway see it. Client roles are `client:role`. */
export interface Principal {
  readonly sub: string;
  /**
   * The verified `iss` of the caller's token. A principal without one meets no requirement scoped to
   * issuers (fail closed).
   */
  readonly issuer?: string;
  readonly realmRoles: readonly string[];
  readonly clientRoles: readonly string[];
  readonly scopes: readonly string[];
  readonly groups: readonly string[];
  /** The sign-in facts step-up requirements are checked against. @default - none: meets no step-up */
  readonly assurance?: Assurance;
}

// ---------------------------------------------------------------------------------------------------------
// Path templates

export type PathSegment =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'greedy'; readonly name: string };

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const LITERAL_SEGMENT = /^[A-Za-z0-9._~!$&'()+,;=:@-]+$/;
/** What a concrete path parameter value may contain to be written into a policy resource. */
const SAFE_RESOURCE_VALUE = /^[A-Za-z0-9._~@:+=,-]{1,128}$/;

/**
 * Parses a path template; throws a message naming the problem (the checks of a route's path). A table the
 * authorizer serves was checked so (at synth, or at cold start for a configuration the construct did not
 * check), so the authorizer reads its templates with segmentsOf alone.
 */
export function parsePathTemplate(path: string): readonly PathSegment[] {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new Error(`path '${String(path)}' must start with '/'`);
  }
  const raw = path === '/' ? [] : path.slice(1).split('/');
  const names = new Set<string>();
  raw.forEach((seg, i) => {
    if (seg === '') throw new Error(`path '${path}' has an empty segment`);
    const m = /^\{([^{}]+)\}$/.exec(seg);
    if (m) {
      const inner = m[1];
      const name = inner.endsWith('+') ? inner.slice(0, -1) : inner;
      if (!PARAM_NAME.test(name)) throw new Error(`path '${path}' has an invalid parameter name '${name}'`);
      if (name !== inner && i !== raw.length - 1)
        throw new Error(`path '${path}': greedy parameter must be the last segment`);
      // One value per name: a request's value and a policy's resource must agree on which segment it is.
      if (names.has(name)) throw new Error(`path '${path}' names parameter '${name}' twice`);
      names.add(name);
      return;
    }
    // A dot segment may be resolved by a proxy or gateway; requests holding one are refused anyway
    // (common/canonical-path.ts).
    if (!LITERAL_SEGMENT.test(seg) || seg.includes('*') || seg === '.' || seg === '..') {
      throw new Error(`path '${path}' has an invalid segment '${seg}'`);
    }
  });
  return segmentsOf(path);
}

/** The segments of a path template that parsePathTemplate accepts: `{name}`, `{name+}` or a literal. */
export function segmentsOf(path: string): readonly PathSegment[] {
  if (path === '/') return [];
  return path
    .slice(1)
    .split('/')
    .map((seg) =>
      seg[0] !== '{'
        ? { kind: 'literal', value: seg }
        : seg.endsWith('+}')
          ? { kind: 'greedy', name: seg.slice(1, -2) }
          : { kind: 'param', name: seg.slice(1, -1) },
    );
}

/** `POST /models/{modelId}/invoke`, API Gateway's route key form. */
export function routeKey(route: Pick<RouteSpec, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

export interface RouteMatch {
  readonly route: RouteSpec;
  /** Path parameters, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The same parameters as written in the request path (the ARN a policy is evaluated against). */
  readonly rawParams: Readonly<Record<string, string>>;
}

/**
 * Finds the route API Gateway would select: literal segments beat parameters, parameters beat greedy;
 * an exact method beats ANY. Returns undefined when nothing matches (the caller must deny). Throws on a
 * template parsePathTemplate refuses.
 */
export function matchRoute(
  routes: readonly RouteSpec[],
  method: string,
  path: string,
): RouteMatch | undefined {
  return matchParsed(
    routes.map((route) => [route, parsePathTemplate(route.path)] as const),
    method,
    path,
  );
}

/** A checked table's templates parsed once: the matcher the authorizer keeps for the container's life. */
export function compileRouteMatcher(
  routes: readonly RouteSpec[],
): (method: string, path: string) => RouteMatch | undefined {
  const parsed = routes.map((route) => [route, segmentsOf(route.path)] as const);
  return (method, path) => matchParsed(parsed, method, path);
}

function matchParsed(
  routes: readonly (readonly [RouteSpec, readonly PathSegment[]])[],
  method: string,
  path: string,
): RouteMatch | undefined {
  const raw = rawSegments(path);
  const segs = raw && decodeSegments(raw);
  if (raw === undefined || segs === undefined) return undefined;
  // ANY stands for the methods API Gateway routes; any other method is on no route (no policy names it).
  const concrete = (CONCRETE_METHODS as readonly string[]).includes(method);
  let best: { match: RouteMatch; score: number[] } | undefined;
  for (const [route, tpl] of routes) {
    if (route.method !== method && !(route.method === 'ANY' && concrete)) continue;
    // Cheap refusals first, before any allocation: a first literal segment or, without a greedy segment,
    // the segment count that cannot fit.
    const head = tpl[0];
    if (head?.kind === 'literal' && head.value !== segs[0]) continue;
    if (tpl.length !== segs.length && tpl[tpl.length - 1]?.kind !== 'greedy') continue;
    const params: Record<string, string> = {};
    const rawParams: Record<string, string> = {};
    const score: number[] = [];
    let ok = true;
    let i = 0;
    for (; i < tpl.length && ok; i++) {
      const t = tpl[i];
      if (t.kind === 'greedy') {
        if (i >= segs.length) ok = false;
        else {
          params[t.name] = segs.slice(i).join('/');
          rawParams[t.name] = raw.slice(i).join('/');
        }
        score.push(0);
        i = segs.length;
        break;
      }
      if (i >= segs.length) {
        ok = false;
        break;
      }
      if (t.kind === 'literal') {
        ok = t.value === segs[i];
        score.push(2);
      } else {
        params[t.name] = segs[i];
        rawParams[t.name] = raw[i];
        score.push(1);
      }
    }
    if (!ok || i !== segs.length) continue;
    score.push(route.method === 'ANY' ? 0 : 1);
    if (!best || compareScores(score, best.score) > 0) best = { match: { route, params, rawParams }, score };
  }
  return best?.match;
}

function compareScores(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/** Splits a concrete request path into decoded segments; undefined for a malformed path. */
export function splitPath(path: string): string[] | undefined {
  const raw = rawSegments(path);
  return raw && decodeSegments(raw);
}

/** The path's segments as written (a trailing `/` dropped); undefined unless it starts with `/`. */
function rawSegments(path: string): string[] | undefined {
  if (typeof path !== 'string' || !path.startsWith('/')) return undefined;
  if (path === '/') return [];
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.slice(1).split('/');
}

function decodeSegments(raw: readonly string[]): string[] | undefined {
  try {
    return raw.map((p) => decodeURIComponent(p));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Requirements

const BINDING = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Names of path parameters a requirement binds (`{modelId}` inside an entitlement). */
export function boundParams(requirement: Requirement | undefined): readonly string[] {
  if (!requirement) return [];
  const names = new Set<string>();
  for (const value of allEntitlementStrings(requirement)) {
    for (const m of value.matchAll(BINDING)) names.add(m[1]);
  }
  return [...names];
}

function allEntitlementStrings(requirement: Requirement | undefined): string[] {
  if (!requirement) return [];
  const out: string[] = [];
  for (const set of [requirement.allOf, requirement.anyOf]) {
    if (!set) continue;
    for (const list of [set.realmRoles, set.clientRoles, set.scopes, set.groups]) out.push(...(list ?? []));
  }
  return out;
}

/** Literal, name, literal, name, ... for a template with bindings. */
function partsOf(template: string): readonly string[] {
  return template.split(BINDING);
}

function substitute(template: string, params: Readonly<Record<string, string>>): string | undefined {
  if (!template.includes('{')) return template;
  const parts = partsOf(template);
  let out = parts[0];
  for (let i = 1; i < parts.length; i += 2) {
    const v = params[parts[i]];
    if (v === undefined) return undefined;
    out += v + parts[i + 1];
  }
  return out;
}

function holds(principal: Principal, kind: keyof Entitlements, wanted: string): boolean {
  switch (kind) {
    case 'realmRoles':
      return principal.realmRoles.includes(wanted);
    case 'clientRoles':
      return principal.clientRoles.includes(wanted);
    case 'scopes':
      return principal.scopes.includes(wanted);
    case 'groups':
      return principal.groups.includes(wanted);
  }
}

const ENTITLEMENT_KINDS: readonly (keyof Entitlements)[] = ['realmRoles', 'clientRoles', 'scopes', 'groups'];

/** Is the principal's issuer one the requirement is scoped to? (No scope: any issuer.) */
export function issuerInScope(requirement: Requirement, principal: Pick<Principal, 'issuer'>): boolean {
  const scope = requirement.issuers;
  if (scope === undefined) return true;
  return typeof principal.issuer === 'string' && scope.includes(principal.issuer);
}

/**
 * Does the principal meet the requirement for a request with these path parameters? A requirement scoped
 * to issuers is met only by a principal of one of them. A binding whose
 * parameter is absent fails closed.
 */
export function meetsRequirement(
  requirement: Requirement | undefined,
  principal: Principal,
  params: Readonly<Record<string, string>> = {},
): boolean {
  if (!requirement) return true;
  if (requirement.issuers !== undefined && !issuerInScope(requirement, principal)) return false;
  if (requirement.stepUp !== undefined && !meetsStepUp(requirement.stepUp, principal.assurance)) return false;
  const check = (kind: keyof Entitlements, tpl: string): boolean => {
    const wanted = substitute(tpl, params);
    return wanted !== undefined && holds(principal, kind, wanted);
  };
  if (requirement.allOf) {
    for (const kind of ENTITLEMENT_KINDS) {
      for (const tpl of requirement.allOf[kind] ?? []) if (!check(kind, tpl)) return false;
    }
  }
  if (requirement.anyOf) {
    let any = false;
    let listed = false;
    for (const kind of ENTITLEMENT_KINDS) {
      for (const tpl of requirement.anyOf[kind] ?? []) {
        listed = true;
        if (check(kind, tpl)) any = true;
      }
    }
    if (listed && !any) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// Policy resources: which routes a principal may call, as `METHOD/path` resource suffixes.
//
// API Gateway caches the returned policy per identity source and evaluates it against the ARN of every
// later request of the same caller, on any route of the API. IAM's `*` matches any run of characters,
// `/` included, and IAM has no single-segment wildcard
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html). So a
// resource is written per concrete method (never `*` for ANY), and the route table is checked once
// (checkCachedPolicies) so that no resource written for one route can decide a request of another
// wrongly; see docs/security.md for the argument.

export function methodsOf(route: Pick<RouteSpec, 'method'>): readonly ConcreteMethod[] {
  return route.method === 'ANY' ? CONCRETE_METHODS : [route.method];
}

/**
 * Does the principal meet the route's requirement for this request? As meetsRequirement, except that a
 * bound parameter counts only with a value a policy resource can hold exactly: safe characters, and
 * written in the request's ARN as it was decoded (no percent-escapes). The policy cannot allow any
 * other value, so the decision does not either.
 */
export function routeAllows(match: RouteMatch, principal: Principal): boolean {
  return routeVerdict(match, principal) === 'allowed';
}

/** What routeVerdict found: allowed, the requirement not met, or met beyond the combinations granted. */
export type RouteVerdict = 'allowed' | 'route_forbidden' | 'grant_limit_exceeded';

/**
 * routeAllows with its reason. A route with bound parameters is allowed only for values among the
 * combinations grantedBindings grants (the ones the policy lists): when the principal holds more than
 * MAX_BOUND_COMBINATIONS of them, a request for a value beyond is `grant_limit_exceeded`, whichever
 * answer (cached policy, exact ARN, local gateway) serves it.
 */
export function routeVerdict(match: RouteMatch, principal: Principal): RouteVerdict {
  const req = match.route.requirement;
  const bound = boundParams(req);
  if (bound.length === 0) return meetsRequirement(req, principal) ? 'allowed' : 'route_forbidden';
  const usable: Record<string, string> = {};
  for (const name of bound) {
    const v = match.params[name];
    if (v !== undefined && v === match.rawParams[name] && SAFE_RESOURCE_VALUE.test(v)) usable[name] = v;
  }
  if (!meetsRequirement(req, principal, usable)) return 'route_forbidden';
  const granted = grantedBindings(match.route, principal);
  if (granted.complete) return 'allowed';
  // A combination covers the request when the request has its value for every parameter it names (the
  // others are `*` in its resource).
  const covered = granted.combos.some((c) => covers(c, usable));
  return covered ? 'allowed' : 'grant_limit_exceeded';
}

/** One entitlement a requirement names: its kind, its template, and the parameters the template binds. */
export interface Atom {
  readonly kind: keyof Entitlements;
  readonly tpl: string;
  readonly params: readonly string[];
}

/**
 * A requirement as alternatives, each a list of entitlements to hold together: allOf plus one anyOf
 * entry (or allOf alone when anyOf lists nothing). The requirement is met exactly when one alternative is.
 */
export function conjunctsOf(requirement: Requirement | undefined): readonly (readonly Atom[])[] {
  if (!requirement) return [[]];
  const atoms = (set: Entitlements | undefined): Atom[] =>
    ENTITLEMENT_KINDS.flatMap((kind) =>
      (set?.[kind] ?? []).map((tpl) => ({ kind, tpl, params: [...tpl.matchAll(BINDING)].map((m) => m[1]) })),
    );
  const all = atoms(requirement.allOf);
  const any = atoms(requirement.anyOf);
  return any.length === 0 ? [all] : any.map((a) => [...all, a]);
}

/** The resource suffixes of a route, one per method; parameters without a value become `*`. */
function resourcesOf(route: RouteSpec, values: Readonly<Record<string, string>>): string[] {
  const segs = segmentsOf(route.path).map((s) =>
    s.kind === 'literal'
      ? s.value
      : s.kind === 'param' && values[s.name] !== undefined
        ? values[s.name]
        : '*',
  );
  const path = segs.join('/');
  return methodsOf(route).map((m) => `${m}/${path}`);
}

export interface RouteGrants {
  /** Resource suffixes the principal may call. */
  readonly allow: string[];
  /** Resource suffixes of protected routes the principal may not call, that an allow would also match. */
  readonly deny: string[];
}

/**
 * The policy for a principal, right for every request on a `keycloak` route of a table that
 * validateRoutes accepts with the result cache on. Each route the principal may call is allowed: a route
 * without bindings as its template (free parameters and greedy segments `*`); a route with bindings once
 * per combination of values the principal's entitlements grant (a parameter no entitlement of that
 * alternative names is `*`). A route the principal may not call is denied only when an allowed resource
 * could match one of its requests (the table's reach relation); the checks make that Deny match nothing
 * the principal may call.
 */
export function grantsFor(
  routes: readonly RouteSpec[],
  principal: Principal,
  analysis: RouteAnalysis = analyzeRoutes(routes),
): RouteGrants {
  const allow: string[] = [];
  const allowed = new Set<RouteSpec>();
  const denied: RouteSpec[] = [];
  for (const route of routes) {
    if (route.auth !== 'keycloak') continue;
    if (boundParams(route.requirement).length === 0) {
      if (meetsRequirement(route.requirement, principal)) {
        allowed.add(route);
        allow.push(...resourcesOf(route, {}));
      } else {
        denied.push(route);
      }
      continue;
    }
    const { combos } = grantedBindings(route, principal);
    if (combos.length > 0) allowed.add(route);
    for (const values of combos) allow.push(...resourcesOf(route, values));
  }
  const deny: string[] = [];
  for (const d of denied) {
    if (analysis.reachedBy(d).some((a) => allowed.has(a))) deny.push(...resourcesOf(d, {}));
  }
  // A path that is not canonical (an escape, a trailing or doubled `/`, a dot segment) is refused on every
  // route (common/canonical-path.ts); a cached allow must not admit one either.
  if (allow.length > 0) deny.push(...NON_CANONICAL_PATH_RESOURCES);
  return { allow: dedupe(allow), deny: dedupe(deny) };
}

/**
 * Most value combinations one route with bound path parameters grants a principal: the policy lists at
 * most this many per route (each once per method), so the answer stays within Lambda's response size
 * (common/aws-limits.ts policySizeErrors).
 */
export const MAX_BOUND_COMBINATIONS = 256;

/**
 * Most steps (an entitlement held, a way a value fits a template, a combination checked) one join takes.
 * A principal holding thousands of values that join on nothing would otherwise cost the product of their
 * counts; past this the join stops as if the bound above were reached.
 */
export const MAX_JOIN_STEPS = 65_536;

/**
 * The value combinations a principal is granted on a route with bound path parameters, in a fixed order
 * (alternatives naming fewer parameters first, then in the requirement's order; entitlements in the
 * requirement's order; held values in the token's order).
 * `complete` is false when the join stopped at MAX_BOUND_COMBINATIONS or MAX_JOIN_STEPS: the principal may
 * meet the requirement for values beyond `combos`, which neither the policy nor the decision grants then
 * (routeVerdict: `grant_limit_exceeded`).
 */
export interface BoundGrant {
  readonly combos: readonly Readonly<Record<string, string>>[];
  readonly complete: boolean;
}

/**
 * The parameter values under which the principal meets a binding requirement: a depth-first join, per
 * alternative, of the values each of its entitlements grants (a parameter an alternative does not name is
 * absent: unconstrained). Values that cannot be written into a resource are left out; routeAllows refuses
 * them too. Bounded in combinations and in steps (MAX_BOUND_COMBINATIONS, MAX_JOIN_STEPS).
 */
export function grantedBindings(route: RouteSpec, principal: Principal): BoundGrant {
  const req = route.requirement;
  const combos: Record<string, string>[] = [];
  const seen = new Set<string>();
  let steps = 0;
  let complete = true;
  const step = (): boolean => {
    if (++steps > MAX_JOIN_STEPS) complete = false;
    return complete;
  };
  const held = new Map(ENTITLEMENT_KINDS.map((k) => [k, new Set(principalList(principal, k))]));
  const bound = boundParams(req).length;
  /** Combinations leaving some parameter free: a later combination they cover adds nothing. */
  const loose: Record<string, string>[] = [];
  const join = (atoms: readonly Atom[], i: number, acc: Record<string, string>): void => {
    if (!step()) return;
    if (i === atoms.length) {
      // The same evaluation the decision uses (issuer, step-up, every entitlement), so nothing is
      // allowed here that the decision would refuse.
      if (!meetsRequirement(req, principal, acc)) return;
      const key = JSON.stringify(Object.entries(acc).sort(([a], [b]) => (a < b ? -1 : 1)));
      if (seen.has(key) || loose.some((c) => covers(c, acc))) return;
      if (combos.length === MAX_BOUND_COMBINATIONS) {
        complete = false;
        return;
      }
      seen.add(key);
      combos.push(acc);
      if (Object.keys(acc).length < bound) loose.push(acc);
      return;
    }
    const atom = atoms[i];
    // Every parameter of the entitlement already has a value (or it names none): one look-up.
    const wanted = substitute(atom.tpl, acc);
    if (wanted !== undefined) {
      if (held.get(atom.kind)?.has(wanted)) join(atoms, i + 1, acc);
      return;
    }
    for (const value of principalList(principal, atom.kind)) {
      fits(atom.tpl, value, acc, step, (next) => join(atoms, i + 1, next));
      if (!complete) return;
    }
  };
  // Alternatives naming fewer parameters first: their combinations leave the others free (`*`) and cover
  // whatever a finer alternative would add for the same values, which is then skipped.
  const paramsOf = (c: readonly Atom[]): number => new Set(c.flatMap((a) => a.params)).size;
  const alternatives = [...conjunctsOf(req)].sort((a, b) => paramsOf(a) - paramsOf(b));
  for (const conjunct of alternatives) {
    join(conjunct, 0, {});
    if (!complete) break;
  }
  return { combos, complete };
}

/** Does combination `c` cover `values` (the same value for every parameter `c` names)? */
function covers(c: Readonly<Record<string, string>>, values: Readonly<Record<string, string>>): boolean {
  return Object.entries(c).every(([k, v]) => values[k] === v);
}

/**
 * Every way a held entitlement fits a template with bindings, agreeing with `acc` (`a:{x}:{y}` and
 * `a:1:2:3` fit twice); `step` counts the work and stops the walk when it answers false.
 */
function fits(
  tpl: string,
  held: string,
  acc: Readonly<Record<string, string>>,
  step: () => boolean,
  found: (values: Record<string, string>) => void,
): void {
  const parts = partsOf(tpl);
  const walk = (k: number, at: number, values: Record<string, string>): void => {
    if (!held.startsWith(parts[k], at)) return;
    const from = at + parts[k].length;
    if (k === parts.length - 1) {
      if (from === held.length) found(values);
      return;
    }
    const name = parts[k + 1];
    for (let end = from + 1; end <= held.length && step(); end++) {
      const v = held.slice(from, end);
      // A longer value holds this one's characters too.
      if (!SAFE_RESOURCE_VALUE.test(v)) break;
      if (values[name] !== undefined && values[name] !== v) continue;
      walk(k + 2, end, { ...values, [name]: v });
    }
  };
  walk(0, 0, { ...acc });
}

function principalList(p: Principal, kind: keyof Entitlements): readonly string[] {
  return kind === 'realmRoles'
    ? p.realmRoles
    : kind === 'clientRoles'
      ? p.clientRoles
      : kind === 'scopes'
        ? p.scopes
        : p.groups;
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

// ---------------------------------------------------------------------------------------------------------
// Reach: which routes' resources can match which routes' requests (common/route-reach.ts works it out).

export interface RouteAnalysis {
  /** Whether a resource Keygate may write for `a` matches a request routed to `b` (a ≠ b). */
  reaches(a: RouteSpec, b: RouteSpec): boolean;
  /** The keycloak routes other than `d` whose resources may match a request routed to `d`. */
  reachedBy(d: RouteSpec): readonly RouteSpec[];
}

/**
 * The reach relation of a route table (common/route-reach.ts), worked out when first asked: the authorizer
 * compiles its table at cold start (compileRoutes), and a policy asks only once it denies a route.
 */
export function analyzeRoutes(routes: readonly RouteSpec[]): RouteAnalysis {
  let reach: RouteAnalysis | undefined;
  const get = (): RouteAnalysis => (reach ??= routeReach(routes));
  return {
    reaches: (a, b) => get().reaches(a, b),
    reachedBy: (d) => get().reachedBy(d),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Validation (used by the constructs at synth, and by the authorizer at cold start)

/** How the routes are served: with the result cache on, a policy is replayed for other requests. */
export interface RouteTableOptions {
  /**
   * API Gateway's authorizer result cache TTL. Above 0 (or unknown) the table must be one a cached policy
   * can express (checkCachedPolicies); at 0 the authorizer answers for the exact request ARN.
   * @default - unknown: checked as if cached
   */
  readonly resultCacheTtlSeconds?: number;
}

/**
 * Validates a route table. Each message names the route and the field. With the result cache on, also
 * rejects the shapes a cached policy cannot express (see checkCachedPolicies).
 */
export function validateRoutes(routes: unknown, field = 'routes', options: RouteTableOptions = {}): string[] {
  return messagesOf(routeIssues(routes, field, options));
}

/** validateRoutes' problems, each with the field it is about (`routes[3].requirement.allOf.clientRoles[0]`). */
export function routeIssues(
  routes: unknown,
  field = 'routes',
  options: RouteTableOptions = {},
): FieldIssue[] {
  const errors = routeEntryIssues(routes, field);
  const cached = options.resultCacheTtlSeconds === undefined || options.resultCacheTtlSeconds > 0;
  // Every entry parsed: the input is a table the whole-table checks can read.
  if (errors.length === 0 && cached) errors.push(...checkCachedPolicies(routes as RouteSpec[], field));
  return errors;
}

/**
 * routeIssues without the whole-table checks of a cached table (checkCachedPolicies): each route's own
 * checks, and no route twice.
 */
export function routeEntryIssues(routes: unknown, field = 'routes'): FieldIssue[] {
  const errors: FieldIssue[] = [];
  if (!Array.isArray(routes)) return [fieldIssue(field, 'must be an array')];
  const seen = new Set<string>();
  routes.forEach((r: unknown, i) => {
    const at = `${field}[${i}]`;
    if (typeof r !== 'object' || r === null) {
      errors.push(fieldIssue(at, 'must be an object'));
      return;
    }
    const route = r as Record<string, unknown>;
    if (!HTTP_METHODS.includes(route.method as HttpMethod)) {
      errors.push(fieldIssue(`${at}.method`, `must be one of ${HTTP_METHODS.join(', ')}`));
      return;
    }
    if (!ROUTE_AUTH_KINDS.includes(route.auth as RouteAuthKind)) {
      errors.push(fieldIssue(`${at}.auth`, `must be one of ${ROUTE_AUTH_KINDS.join(', ')}`));
      return;
    }
    let tpl: readonly PathSegment[];
    try {
      tpl = parsePathTemplate(route.path as string);
    } catch (e) {
      errors.push(fieldIssue(`${at}.path`, `: ${(e as Error).message}`));
      return;
    }
    const key = `${route.method} ${tpl.map((s) => (s.kind === 'literal' ? s.value : '{}')).join('/')}`;
    if (seen.has(key)) errors.push(fieldIssue(at, `: duplicate route ${route.method} ${String(route.path)}`));
    seen.add(key);
    if (route.requirement !== undefined) {
      if (route.auth !== 'keycloak')
        errors.push(fieldIssue(`${at}.requirement`, 'is only allowed on keycloak routes'));
      errors.push(...requirementIssues(route.requirement, `${at}.requirement`, tpl));
    }
  });
  return errors;
}

/** The checks of one route's requirement (`tpl`: the route's parsed path); every message opens with `at`. */
export function validateRequirement(req: unknown, at: string, tpl: readonly PathSegment[]): string[] {
  return messagesOf(requirementIssues(req, at, tpl));
}

/** validateRequirement's problems, each with the field it is about. */
export function requirementIssues(req: unknown, at: string, tpl: readonly PathSegment[]): FieldIssue[] {
  if (typeof req !== 'object' || req === null) return [fieldIssue(at, 'must be an object')];
  const errors: FieldIssue[] = [];
  const r = req as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (key !== 'allOf' && key !== 'anyOf' && key !== 'issuers' && key !== 'stepUp')
      errors.push(fieldIssue(`${at}.${key}`, 'is not a requirement field (allOf, anyOf, issuers, stepUp)'));
  }
  if (r.issuers !== undefined) errors.push(...issuerScopeIssues(r.issuers, `${at}.issuers`));
  if (r.stepUp !== undefined) errors.push(...stepUpIssues(r.stepUp, `${at}.stepUp`));
  const params = new Set(tpl.filter((s) => s.kind === 'param').map((s) => (s as { name: string }).name));
  for (const mode of ['allOf', 'anyOf'] as const) {
    const set = r[mode];
    if (set === undefined) continue;
    if (typeof set !== 'object' || set === null) {
      errors.push(fieldIssue(`${at}.${mode}`, 'must be an object'));
      continue;
    }
    for (const [kind, list] of Object.entries(set)) {
      const f = `${at}.${mode}.${kind}`;
      if (!ENTITLEMENT_KINDS.includes(kind as keyof Entitlements)) {
        errors.push(fieldIssue(f, `is not an entitlement kind (${ENTITLEMENT_KINDS.join(', ')})`));
        continue;
      }
      if (
        !Array.isArray(list) ||
        list.some((v) => typeof v !== 'string' || v.length === 0 || v.length > 255)
      ) {
        errors.push(fieldIssue(f, 'must be a list of non-empty strings'));
        continue;
      }
      (list as string[]).forEach((v, j) => {
        // The message names the list and quotes the entry; the issue's path is the entry itself.
        const entry = (rest: string): FieldIssue => ({ path: `${f}[${j}]`, message: `${f}: '${v}' ${rest}` });
        if (kind === 'clientRoles' && !/^[^:]+:.+$/.test(v))
          errors.push(entry('must be written client:role'));
        for (const m of v.matchAll(BINDING)) {
          if (!params.has(m[1])) errors.push(entry(`binds {${m[1]}}, which is not a path parameter`));
        }
        if (/\s/.test(v)) errors.push(entry('must not contain whitespace'));
      });
    }
  }
  return errors;
}

/** Shape of `requirement.issuers`; whether each names a trusted issuer is checked with the config. */
function issuerScopeIssues(issuers: unknown, at: string): FieldIssue[] {
  if (
    !Array.isArray(issuers) ||
    issuers.length === 0 ||
    issuers.some((i) => typeof i !== 'string' || i.length === 0 || i.length > 2048 || /\s/.test(i))
  ) {
    return [fieldIssue(at, 'must be a non-empty list of issuer URLs')];
  }
  return new Set(issuers).size === issuers.length ? [] : [fieldIssue(at, 'lists an issuer twice')];
}
