/**
 * The one route model shared by the constructs (lib/), the authorizer (lambda/), the local gateway and
 * the realm definition. Plain types and pure functions only: no AWS SDK, no CDK, no I/O.
 *
 * A route is `METHOD /path/{param}` plus how it is authorized. Keycloak routes carry a requirement over
 * the caller's entitlements (realm roles, client roles, scopes, groups). An entitlement may name a path
 * parameter in braces (`model:{modelId}:invoke`), which binds the requirement to the concrete path.
 */

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

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
 */
export interface Requirement {
  readonly allOf?: Entitlements;
  readonly anyOf?: Entitlements;
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
  readonly realmRoles: readonly string[];
  readonly clientRoles: readonly string[];
  readonly scopes: readonly string[];
  readonly groups: readonly string[];
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

const parsedTemplates = new Map<string, readonly PathSegment[]>();

/**
 * Parses a path template; throws a message naming the problem. Results are memoized per template string:
 * the authorizer matches every request against the same small table, so it parses each template once.
 */
export function parsePathTemplate(path: string): readonly PathSegment[] {
  const hit = typeof path === 'string' ? parsedTemplates.get(path) : undefined;
  if (hit) return hit;
  const parsed = parsePathTemplateUncached(path);
  if (parsedTemplates.size < 1024) parsedTemplates.set(path, parsed);
  return parsed;
}

function parsePathTemplateUncached(path: string): PathSegment[] {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new Error(`path '${String(path)}' must start with '/'`);
  }
  if (path === '/') return [];
  const raw = path.slice(1).split('/');
  return raw.map((seg, i) => {
    if (seg === '') throw new Error(`path '${path}' has an empty segment`);
    const m = /^\{([^{}]+)\}$/.exec(seg);
    if (m) {
      const inner = m[1];
      if (inner.endsWith('+')) {
        const name = inner.slice(0, -1);
        if (!PARAM_NAME.test(name)) throw new Error(`path '${path}' has an invalid parameter name '${name}'`);
        if (i !== raw.length - 1)
          throw new Error(`path '${path}': greedy parameter must be the last segment`);
        return { kind: 'greedy', name };
      }
      if (!PARAM_NAME.test(inner)) throw new Error(`path '${path}' has an invalid parameter name '${inner}'`);
      return { kind: 'param', name: inner };
    }
    if (!LITERAL_SEGMENT.test(seg) || seg.includes('*')) {
      throw new Error(`path '${path}' has an invalid segment '${seg}'`);
    }
    return { kind: 'literal', value: seg };
  });
}

/** `POST /models/{modelId}/invoke`, API Gateway's route key form. */
export function routeKey(route: Pick<RouteSpec, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

export interface RouteMatch {
  readonly route: RouteSpec;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Finds the route API Gateway would select: literal segments beat parameters, parameters beat greedy;
 * an exact method beats ANY. Returns undefined when nothing matches (the caller must deny).
 */
export function matchRoute(
  routes: readonly RouteSpec[],
  method: string,
  path: string,
): RouteMatch | undefined {
  const segs = splitPath(path);
  if (segs === undefined) return undefined;
  let best: { match: RouteMatch; score: number[] } | undefined;
  for (const route of routes) {
    if (route.method !== method && route.method !== 'ANY') continue;
    const tpl = parsePathTemplate(route.path);
    const params: Record<string, string> = {};
    const score: number[] = [];
    let ok = true;
    let i = 0;
    for (; i < tpl.length && ok; i++) {
      const t = tpl[i];
      if (t.kind === 'greedy') {
        if (i >= segs.length) ok = false;
        else params[t.name] = segs.slice(i).join('/');
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
        score.push(1);
      }
    }
    if (!ok || i !== segs.length) continue;
    score.push(route.method === 'ANY' ? 0 : 1);
    if (!best || compareScores(score, best.score) > 0) best = { match: { route, params }, score };
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
  if (typeof path !== 'string' || !path.startsWith('/')) return undefined;
  if (path === '/') return [];
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  const parts = trimmed.slice(1).split('/');
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Requirements

const BINDING = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

const boundParamsCache = new WeakMap<Requirement, readonly string[]>();

/** Names of path parameters a requirement binds (`{modelId}` inside an entitlement). */
export function boundParams(requirement: Requirement | undefined): readonly string[] {
  if (!requirement) return [];
  const hit = boundParamsCache.get(requirement);
  if (hit) return hit;
  const names = new Set<string>();
  for (const value of allEntitlementStrings(requirement)) {
    for (const m of value.matchAll(BINDING)) names.add(m[1]);
  }
  const out = [...names];
  boundParamsCache.set(requirement, out);
  return out;
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

const templateParts = new Map<string, readonly string[]>();

/** Literal, name, literal, name, ... for a template with bindings; memoized per template string. */
function partsOf(template: string): readonly string[] {
  let parts = templateParts.get(template);
  if (!parts) {
    parts = template.split(BINDING);
    if (templateParts.size < 4096) templateParts.set(template, parts);
  }
  return parts;
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

/**
 * Does the principal meet the requirement for a request with these path parameters? A binding whose
 * parameter is absent fails closed.
 */
export function meetsRequirement(
  requirement: Requirement | undefined,
  principal: Principal,
  params: Readonly<Record<string, string>> = {},
): boolean {
  if (!requirement) return true;
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
// Policy resources: which routes a principal may call, as `METHOD/path` with `*` for free segments.

/** A route as an execute-api resource suffix: `POST/models/*` (`*` for ANY method or a free parameter). */
export function resourcePattern(
  route: Pick<RouteSpec, 'method' | 'path'>,
  params?: Record<string, string>,
): string {
  if (!params) {
    const key = `${route.method} ${route.path}`;
    const hit = freePatterns.get(key);
    if (hit) return hit;
    const pattern = resourcePatternUncached(route, {});
    if (freePatterns.size < 1024) freePatterns.set(key, pattern);
    return pattern;
  }
  return resourcePatternUncached(route, params);
}

const freePatterns = new Map<string, string>();

function resourcePatternUncached(
  route: Pick<RouteSpec, 'method' | 'path'>,
  params: Record<string, string>,
): string {
  const method = route.method === 'ANY' ? '*' : route.method;
  const segs = parsePathTemplate(route.path).map((s) => {
    if (s.kind === 'literal') return s.value;
    if (s.kind === 'param' && params[s.name] !== undefined) return params[s.name];
    return '*';
  });
  return `${method}/${segs.join('/')}`;
}

export interface RouteGrants {
  /** Resource suffixes the principal may call. */
  readonly allow: string[];
  /** Patterns of protected routes the principal may not call at all (so an allow wildcard never widens). */
  readonly deny: string[];
}

/**
 * Every `keycloak` route the principal may call, written so that one cached policy is right for every
 * route of the API: free parameters become `*`; a bound parameter becomes each concrete value the
 * principal's entitlements grant (values that are not safe in a resource are skipped: fail closed).
 */
export function grantsFor(routes: readonly RouteSpec[], principal: Principal): RouteGrants {
  const allow: string[] = [];
  const deny: string[] = [];
  for (const route of routes) {
    if (route.auth !== 'keycloak') continue;
    const bound = boundParams(route.requirement);
    if (bound.length === 0) {
      (meetsRequirement(route.requirement, principal) ? allow : deny).push(resourcePattern(route));
      continue;
    }
    // A value nobody could hold: if the requirement is met with it, the binding does not matter here.
    const probe = Object.fromEntries(bound.map((n) => [n, '\u0000']));
    if (meetsRequirement(route.requirement, principal, probe)) {
      allow.push(resourcePattern(route));
      continue;
    }
    const concrete = boundValues(route, principal, bound);
    if (concrete.length === 0) deny.push(resourcePattern(route));
    for (const params of concrete) allow.push(resourcePattern(route, params));
  }
  return { allow: dedupe(allow), deny: dedupe(deny) };
}

/** Most concrete resources one route with bound path parameters contributes to a principal's policy. */
export const MAX_BOUND_COMBINATIONS = 256;

function boundValues(
  route: RouteSpec,
  principal: Principal,
  bound: readonly string[],
): Record<string, string>[] {
  const candidates = new Map<string, Set<string>>(bound.map((n) => [n, new Set<string>()]));
  const req = route.requirement ?? {};
  for (const set of [req.allOf, req.anyOf]) {
    if (!set) continue;
    for (const kind of ENTITLEMENT_KINDS) {
      const held = principalList(principal, kind);
      for (const tpl of set[kind] ?? []) {
        if (!tpl.includes('{')) continue;
        const names = [...tpl.matchAll(BINDING)].map((m) => m[1]);
        if (names.length === 0) continue;
        const re = templateRegExp(tpl);
        for (const value of held) {
          const m = re.exec(value);
          if (!m) continue;
          names.forEach((n, i) => {
            const v = m[i + 1];
            if (SAFE_RESOURCE_VALUE.test(v)) candidates.get(n)?.add(v);
          });
        }
      }
    }
  }
  let combos: Record<string, string>[] = [{}];
  for (const name of bound) {
    const next: Record<string, string>[] = [];
    for (const c of combos) {
      for (const v of candidates.get(name) ?? []) {
        if (next.length >= MAX_BOUND_COMBINATIONS) break;
        next.push({ ...c, [name]: v });
      }
    }
    combos = next;
  }
  return combos.filter((params) => meetsRequirement(route.requirement, principal, params));
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

const templateRegExps = new Map<string, RegExp>();

function templateRegExp(tpl: string): RegExp {
  const hit = templateRegExps.get(tpl);
  if (hit) return hit;
  const re = templateRegExpUncached(tpl);
  if (templateRegExps.size < 4096) templateRegExps.set(tpl, re);
  return re;
}

function templateRegExpUncached(tpl: string): RegExp {
  const parts = tpl.split(BINDING);
  // split with a capture group alternates literal, name, literal, ...
  const src = parts.map((p, i) => (i % 2 === 0 ? escapeRegExp(p) : '([^/*?\\s]+)')).join('');
  return new RegExp(`^${src}$`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

/** IAM-style glob match for execute-api resources: `*` matches any run of characters, `/` included. */
export function resourceMatches(pattern: string, resource: string): boolean {
  // A glob with `*` only: the literal runs between stars must appear in order, the first at the start and
  // the last at the end; placing each middle run at its leftmost occurrence never misses a match. No
  // regular expression is compiled, which keeps the cold-start validation of a route table cheap.
  const runs = pattern.split('*');
  if (runs.length === 1) return pattern === resource;
  const first = runs[0];
  const last = runs[runs.length - 1];
  const end = resource.length - last.length;
  if (end < first.length || !resource.startsWith(first) || !resource.endsWith(last)) return false;
  let at = first.length;
  for (let i = 1; i < runs.length - 1; i++) {
    const found = resource.indexOf(runs[i], at);
    if (found < 0 || found + runs[i].length > end) return false;
    at = found + runs[i].length;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// Validation (used by the constructs at synth, and by the authorizer at cold start)

/**
 * Validates a route table. Each message names the route and the field. Also rejects the one shape a
 * single cached policy cannot express: a route whose wildcard would also cover a route that binds a
 * path parameter (the bound route could then be reached with a cached allow meant for the other).
 */
export function validateRoutes(routes: unknown, field = 'routes'): string[] {
  const errors: string[] = [];
  if (!Array.isArray(routes)) return [`${field} must be an array`];
  const seen = new Set<string>();
  const parsed: RouteSpec[] = [];
  routes.forEach((r: unknown, i) => {
    const at = `${field}[${i}]`;
    if (typeof r !== 'object' || r === null) {
      errors.push(`${at} must be an object`);
      return;
    }
    const route = r as Record<string, unknown>;
    if (!HTTP_METHODS.includes(route.method as HttpMethod)) {
      errors.push(`${at}.method must be one of ${HTTP_METHODS.join(', ')}`);
      return;
    }
    if (!ROUTE_AUTH_KINDS.includes(route.auth as RouteAuthKind)) {
      errors.push(`${at}.auth must be one of ${ROUTE_AUTH_KINDS.join(', ')}`);
      return;
    }
    let tpl: readonly PathSegment[];
    try {
      tpl = parsePathTemplate(route.path as string);
    } catch (e) {
      errors.push(`${at}.path: ${(e as Error).message}`);
      return;
    }
    const key = `${route.method} ${tpl.map((s) => (s.kind === 'literal' ? s.value : '{}')).join('/')}`;
    if (seen.has(key)) errors.push(`${at}: duplicate route ${route.method} ${String(route.path)}`);
    seen.add(key);
    if (route.requirement !== undefined) {
      if (route.auth !== 'keycloak') errors.push(`${at}.requirement is only allowed on keycloak routes`);
      errors.push(...validateRequirement(route.requirement, `${at}.requirement`, tpl));
    }
    parsed.push(route as unknown as RouteSpec);
  });
  if (errors.length === 0) errors.push(...cacheUnsafeOverlaps(parsed, field));
  return errors;
}

function validateRequirement(req: unknown, at: string, tpl: readonly PathSegment[]): string[] {
  if (typeof req !== 'object' || req === null) return [`${at} must be an object`];
  const errors: string[] = [];
  const r = req as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (key !== 'allOf' && key !== 'anyOf')
      errors.push(`${at}.${key} is not a requirement field (allOf, anyOf)`);
  }
  const params = new Set(tpl.filter((s) => s.kind === 'param').map((s) => (s as { name: string }).name));
  for (const mode of ['allOf', 'anyOf'] as const) {
    const set = r[mode];
    if (set === undefined) continue;
    if (typeof set !== 'object' || set === null) {
      errors.push(`${at}.${mode} must be an object`);
      continue;
    }
    for (const [kind, list] of Object.entries(set)) {
      const f = `${at}.${mode}.${kind}`;
      if (!ENTITLEMENT_KINDS.includes(kind as keyof Entitlements)) {
        errors.push(`${f} is not an entitlement kind (${ENTITLEMENT_KINDS.join(', ')})`);
        continue;
      }
      if (
        !Array.isArray(list) ||
        list.some((v) => typeof v !== 'string' || v.length === 0 || v.length > 255)
      ) {
        errors.push(`${f} must be a list of non-empty strings`);
        continue;
      }
      for (const v of list as string[]) {
        if (kind === 'clientRoles' && !/^[^:]+:.+$/.test(v))
          errors.push(`${f}: '${v}' must be written client:role`);
        for (const m of v.matchAll(BINDING)) {
          if (!params.has(m[1])) errors.push(`${f}: '${v}' binds {${m[1]}}, which is not a path parameter`);
        }
        if (/\s/.test(v)) errors.push(`${f}: '${v}' must not contain whitespace`);
      }
    }
  }
  return errors;
}

function cacheUnsafeOverlaps(routes: RouteSpec[], field: string): string[] {
  const errors: string[] = [];
  const protectedRoutes = routes.filter((r) => r.auth === 'keycloak');
  for (const b of protectedRoutes) {
    if (boundParams(b.requirement).length === 0) continue;
    for (const a of protectedRoutes) {
      if (a === b) continue;
      const pattern = resourcePattern(a);
      if (samplePaths(b, a).some((p) => resourceMatches(pattern, p))) {
        errors.push(
          `${field}: ${routeKey(a)} would also cover ${routeKey(b)}, whose requirement binds a path parameter; ` +
            'a cached policy could then allow it. Give the routes distinct literal segments.',
        );
      }
    }
  }
  return errors;
}

/** Concrete instances of route b, with parameter values that would collide with a's literals. */
function samplePaths(b: RouteSpec, a: RouteSpec): string[] {
  const literals = parsePathTemplate(a.path)
    .filter((s) => s.kind === 'literal')
    .map((s) => (s as { value: string }).value);
  const out: string[] = [];
  for (const v of ['x', ...literals]) {
    const params: Record<string, string> = {};
    for (const s of parsePathTemplate(b.path)) if (s.kind !== 'literal') params[s.name] = v;
    const method = b.method === 'ANY' ? 'GET' : b.method;
    out.push(resourcePattern({ method, path: b.path }, params));
  }
  return out;
}
