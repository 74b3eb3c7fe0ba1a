/**
 * The property that closes the class of cache bugs: for route tables the validator accepts, API Gateway's
 * evaluation of the authorizer's answer equals the route model's decision, for the request that produced
 * the answer (fresh) and for every later request of the same caller (replayed from the result cache).
 *
 * Tables are generated (methods including ANY, literal and parameter segments, greedy `{proxy+}`, bound
 * and unbound requirements over realm roles, client roles, scopes and groups, allOf / anyOf), then kept
 * only if validateRoutes accepts them with the cache on. Requests are built from the tables' templates
 * with adversarial values: other routes' literals, values spanning two segments, percent-escapes
 * (some spelling another route's literal: `%61` for `a`), dot segments, empty segments and trailing
 * slashes. API Gateway may route a path that is not canonical (common/canonical-path.ts) to any route,
 * so every cached policy must deny it wherever it is replayed.
 * Answers come from the real handler (parse-event, authorize, grants, build-response); the evaluator
 * below is written from IAM's documented semantics, not from Keygate's code:
 * - a statement applies when its action matches and one of its resources matches the request's ARN;
 * - resources are globs where `*` is any run of characters and `?` exactly one, `/` included;
 * - an explicit Deny wins over any Allow; without an Allow the request is refused.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 *
 * Issuer scopes: a second run trusts two issuers, scopes every keycloak route to a non-empty subset of
 * them, and gives each principal one of the two.
 *
 * Step-up: a third run gives keycloak routes step-up requirements (an acr level by the issuer's
 * acrLoaMap, amr methods, a sign-in age bound) and principals sign-in facts (acr, amr, auth_time) at a
 * fixed instant; the model's decision is taken through the instant the answer may be replayed until
 * (now plus the result-cache TTL), so a replayed grant never outlives an age bound.
 *
 * Reproduce a failure with the seed fast-check prints: FC_SEED=<seed> npx vitest run <this file>.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import { validateAuthorizerConfig } from '../../common/authorizer-config-validate';
import type { Entitlements, HttpMethod, Requirement, RouteSpec } from '../../common/route-model';
import { isCanonicalPath } from '../../common/canonical-path';
import {
  CONCRETE_METHODS,
  grantedBindings,
  matchRoute,
  meetsRequirement,
  validateRoutes,
} from '../../common/route-model';
import type { DecisionLog } from '../../lambda/authorizer/decision-log';
import { authorize, compileRoutes } from '../../lambda/authorizer/authorize';
import type { AuthorizerResponse } from '../../lambda/authorizer/build-response';
import { createHandler } from '../../lambda/authorizer/handler';
import type { VerifiedPrincipal } from '../../lambda/authorizer/types';
import type { StepUpRequirement } from '../../common/step-up';
import { assuranceOf } from '../../common/step-up';
import type { EventKind } from '../fixtures/apigw/events';
import { apigwEvent, EVENT_KINDS, methodArn } from '../fixtures/apigw/events';
import { ISSUER, principal as makePrincipal, tableVerifier } from '../lambda/authorizer/pipeline-fixtures';
import { X509Certificate, createHash } from 'node:crypto';
import { routeKey } from '../../common/route-model';
import { createBindingCheck } from '../../lambda/authorizer/token-binding';
import { loopbackCertificate } from '../../local/issuer/tls';

const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : undefined;
/**
 * Generated cases per property; every accepted table is checked fresh and replayed. Fewer in a mutation
 * run (vitest.mutation.config.mts), where the property runs once per mutant.
 */
const RUNS = Number(process.env.KEYGATE_PROPERTY_RUNS ?? 12_000);

// ---------------------------------------------------------------------------------------------------------
// The independent evaluator (IAM semantics)

interface Statement {
  readonly Effect: string;
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
}

const compiled = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  const hit = compiled.get(glob);
  if (hit) return hit;
  let src = '';
  for (const c of glob) src += c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}/]/g, '\\$&');
  const re = new RegExp(`^${src}$`, 's');
  if (compiled.size < 100_000) compiled.set(glob, re);
  return re;
}

function iamEvaluate(statements: readonly Statement[], arn: string): 'allow' | 'deny' {
  let allowed = false;
  for (const s of statements) {
    const actions = [s.Action].flat();
    if (!actions.some((a) => globToRegExp(a.toLowerCase()).test('execute-api:invoke'))) continue;
    if (![s.Resource].flat().some((r) => globToRegExp(r).test(arn))) continue;
    if (s.Effect === 'Deny') return 'deny';
    if (s.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'allow' : 'deny';
}

// ---------------------------------------------------------------------------------------------------------
// Generators

const LITERALS = ['a', 'b', 'models', 'x1'] as const;
/**
 * Values put into parameter segments, as written in the path: literals of other routes, two segments, a
 * non-ASCII escape (decided as a value) and, one time in five, a spelling that is not canonical:
 * percent-escapes (some spelling a literal: `%61` is `a`, `%2F` a `/`), dot segments, an empty segment.
 */
const PATH_VALUES = ['a', 'b', 'models', 'x1', 'acme', 'v.1', 'a/b', 'models/a', '~', '%C3%A9'] as const;
const NON_CANONICAL_VALUES = ['%61', '%6Dodels', 'x%31', '%7E', 'a%2Fb', 'c%3A1', '..', '.', ''] as const;
const pathValueArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<string>(...PATH_VALUES) },
  { weight: 1, arbitrary: fc.constantFrom<string>(...NON_CANONICAL_VALUES) },
);
/** Values the principal's bound entitlements name (decoded): some equal path values, some cannot be written. */
const HELD_VALUES = ['a', 'b', 'models', 'acme', 'v.1', 'a/b', '~', 'x1'] as const;

interface RouteShape {
  readonly method: HttpMethod;
  readonly segs: readonly ('param' | (typeof LITERALS)[number])[];
  readonly greedy: boolean;
  readonly auth: 'keycloak' | 'iam';
}

const routeShapeArb: fc.Arbitrary<RouteShape> = fc.record({
  method: fc.constantFrom<HttpMethod>('GET', 'GET', 'POST', 'ANY'),
  segs: fc.array(fc.constantFrom<'param' | (typeof LITERALS)[number]>('param', 'param', ...LITERALS), {
    maxLength: 3,
  }),
  greedy: fc.boolean(),
  auth: fc.constantFrom<'keycloak' | 'iam'>('keycloak', 'keycloak', 'keycloak', 'keycloak', 'iam'),
});

function pathOf(shape: RouteShape): { path: string; params: string[] } {
  const params: string[] = [];
  const parts = shape.segs.map((s, i) => {
    if (s !== 'param') return s;
    params.push(`p${i}`);
    return `{p${i}}`;
  });
  if (shape.greedy) parts.push('{proxy+}');
  return { path: `/${parts.join('/')}`, params };
}

type Atom = readonly [keyof Entitlements, string];

function atomsFor(params: readonly string[]): Atom[] {
  const atoms: Atom[] = [
    ['realmRoles', 'r1'],
    ['realmRoles', 'r2'],
    ['clientRoles', 'c:r1'],
    ['scopes', 's1'],
    ['groups', 'g1'],
  ];
  for (const p of params) atoms.push(['realmRoles', `r:{${p}}`], ['groups', `g:{${p}}`]);
  if (params.length >= 2) atoms.push(['realmRoles', `rr:{${params[0]}}:{${params[1]}}`]);
  return atoms;
}

function entitlements(atoms: readonly Atom[]): Entitlements {
  const out: Record<string, string[]> = {};
  for (const [kind, value] of atoms) (out[kind] ??= []).push(value);
  return out;
}

/** `boundOnly`: a route with parameters binds one or two of them (the join-limit run). */
function requirementArb(params: readonly string[], boundOnly = false): fc.Arbitrary<Requirement | undefined> {
  const bound = atomsFor(params).filter(([, v]) => v.includes('{'));
  const atoms =
    boundOnly && bound.length > 0
      ? fc.subarray(bound, { minLength: 1, maxLength: 2 })
      : fc.subarray(atomsFor(params), { maxLength: 2 });
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: atoms.map((a) => ({ anyOf: entitlements(a) })) },
    { weight: 2, arbitrary: atoms.map((a) => ({ allOf: entitlements(a) })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(atoms, atoms)
        .map(([all, any]) => ({ allOf: entitlements(all), anyOf: entitlements(any) })),
    },
  );
}

const routeArbOf = (boundOnly: boolean): fc.Arbitrary<RouteSpec> =>
  routeShapeArb.chain((shape) => {
    const { path, params } = pathOf(shape);
    if (shape.auth === 'iam') return fc.constant<RouteSpec>({ method: shape.method, path, auth: 'iam' });
    return requirementArb(params, boundOnly).map<RouteSpec>((requirement) => ({
      method: shape.method,
      path,
      auth: 'keycloak',
      ...(requirement ? { requirement } : {}),
    }));
  });

const tableArbOf = (route: fc.Arbitrary<RouteSpec>) =>
  fc.uniqueArray(route, {
    minLength: 1,
    maxLength: 4,
    selector: (r) => `${r.method} ${r.path.replace(/\{[^}]+\}/g, '{}')}`,
  });
const tableArb = tableArbOf(routeArbOf(false));

const REALM_POOL = [
  'r1',
  'r2',
  ...HELD_VALUES.map((v) => `r:${v}`),
  'rr:a:b',
  'rr:acme:models',
  'rr:a:b:x1',
  'rr:a/b:b',
];
const GROUP_POOL = ['g1', ...HELD_VALUES.map((v) => `g:${v}`)];

const principalArb: fc.Arbitrary<VerifiedPrincipal> = fc
  .record({
    realmRoles: fc.subarray(REALM_POOL),
    groups: fc.subarray(GROUP_POOL),
    scopes: fc.subarray(['s1', 'openid']),
    clientRoles: fc.subarray(['c:r1', 'c:r2']),
  })
  .map((e) => makePrincipal('caller', e));

interface Req {
  readonly method: string;
  readonly path: string;
}

function requestArb(routes: readonly RouteSpec[], valueArb = pathValueArb): fc.Arbitrary<Req> {
  return fc
    .record({
      route: fc.constantFrom(...routes),
      method: fc.constantFrom(...CONCRETE_METHODS),
      sameMethod: fc.boolean(),
      values: fc.array(valueArb, { minLength: 6, maxLength: 6 }),
      tail: fc.array(valueArb, { minLength: 1, maxLength: 3 }),
      // A trailing slash: API Gateway routes `/orders/` as `/orders`.
      slash: fc.constantFrom('', '', '', '', '', '', '', '', '', '/'),
    })
    .map(({ route, method, sameMethod, values, tail, slash }) => {
      let n = 0;
      const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) =>
        name.endsWith('+') ? tail.join('/') : values[n++ % values.length],
      );
      return { method: sameMethod && route.method !== 'ANY' ? route.method : method, path: path + slash };
    });
}

const caseArb = tableArb.chain((routes) =>
  fc.record({
    routes: fc.constant(routes),
    principal: principalArb,
    kind: fc.constantFrom<EventKind>(...EVENT_KINDS),
    requests: fc.array(requestArb(routes), { minLength: 1, maxLength: 6 }),
  }),
);

/** A second trusted issuer: with two, every keycloak route names the issuers whose tokens may meet it. */
const ISSUER_B = 'https://sso.partner.example/realms/partner';
const TWO_ISSUERS: AuthorizerConfig['issuers'] = [ISSUER, ISSUER_B].map((issuer) => ({
  kind: 'keycloak',
  issuer,
  allowedClients: ['keygate-web'],
  roleClients: ['c'],
}));

const scopedCaseArb = tableArb.chain((table) =>
  fc.record({
    routes: fc.tuple(
      ...table.map((r) =>
        r.auth !== 'keycloak'
          ? fc.constant(r)
          : fc
              .subarray([ISSUER, ISSUER_B], { minLength: 1 })
              .map<RouteSpec>((issuers) => ({ ...r, requirement: { ...r.requirement, issuers } })),
      ),
    ),
    principal: fc
      .tuple(principalArb, fc.constantFrom(ISSUER, ISSUER_B))
      .map(([p, issuer]) => ({ ...p, issuer })),
    kind: fc.constantFrom<EventKind>(...EVENT_KINDS),
    requests: fc.array(requestArb(table), { minLength: 1, maxLength: 6 }),
  }),
);

/** Step-up: the issuer's levels, the requirements routes may demand, and the sign-ins callers made. */
const ACR_LOA_MAP = { silver: 1, gold: 2, platinum: 3 };
const STEP_UPS: readonly StepUpRequirement[] = [
  { minLoa: 1 },
  { minLoa: 2 },
  { amr: ['otp'] },
  { maxAgeSeconds: 600 },
  { minLoa: 2, maxAgeSeconds: 900 },
];
/** The instant of every step-up request (the handler's clock), and the result-cache TTL of the runs. */
const NOW = 1_700_000_000;
const TTL = 300;

const stepUpCaseArb = tableArb.chain((table) =>
  fc.record({
    routes: fc.tuple(
      ...table.map((r) =>
        r.auth !== 'keycloak'
          ? fc.constant(r)
          : fc
              .option(fc.constantFrom(...STEP_UPS), { freq: 2 })
              .map<RouteSpec>((stepUp) =>
                stepUp === null ? r : { ...r, requirement: { ...r.requirement, stepUp } },
              ),
      ),
    ),
    principal: fc
      .tuple(
        principalArb,
        // `diamond` is an acr the issuer never defined; undefined: no acr at all.
        fc.constantFrom('silver', 'gold', 'platinum', 'diamond', undefined),
        fc.subarray(['pwd', 'otp']),
        fc.constantFrom(10, 250, 400, 650, 1000),
      )
      .map(([p, acr, amr, age]) => ({
        ...p,
        assurance: assuranceOf({ acr, amr, auth_time: NOW - age }, ACR_LOA_MAP),
      })),
    kind: fc.constantFrom<EventKind>(...EVENT_KINDS),
    requests: fc.array(requestArb(table), { minLength: 1, maxLength: 6 }),
  }),
);

/**
 * The bound on bound values: a principal may hold hundreds of values of one entitlement template, more
 * than the MAX_BOUND_COMBINATIONS a policy lists for one route (`r:v0` … `r:v299` for `r:{p}`, or 40
 * `r:` values joined with 20 `g:` values for `r:{p0}` and `g:{p1}`). Requests name values among the
 * first ones, near the bound and beyond it.
 */
const BULK_VALUES = ['v0', 'v1', 'v19', 'v39', 'v200', 'v255', 'v256', 'v299'] as const;
const bulkPrincipalArb: fc.Arbitrary<VerifiedPrincipal> = fc
  .tuple(
    principalArb,
    fc.constantFrom(40, 300, 300),
    fc.constantFrom(0, 20, 300),
    fc.boolean(), // the token lists its values last first
  )
  .map(([p, realm, group, reversed]) => {
    const values = (prefix: string, n: number): string[] => {
      const list = Array.from({ length: n }, (_, i) => `${prefix}:v${i}`);
      return reversed ? list.reverse() : list;
    };
    return {
      ...p,
      realmRoles: [...p.realmRoles, ...values('r', realm), ...values('rr:v0', Math.min(realm, 20))],
      groups: [...p.groups, ...values('g', group)],
    };
  });
const bulkValueArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<string>(...BULK_VALUES) },
  { weight: 1, arbitrary: pathValueArb },
);
const bulkCaseArb = tableArbOf(routeArbOf(true)).chain((routes) =>
  fc.record({
    routes: fc.constant(routes),
    principal: bulkPrincipalArb,
    kind: fc.constantFrom<EventKind>(...EVENT_KINDS),
    requests: fc.array(requestArb(routes, bulkValueArb), { minLength: 1, maxLength: 6 }),
  }),
);

// ---------------------------------------------------------------------------------------------------------
// The checks

const QUIET: DecisionLog = { decision() {}, jwksFailure() {}, configInvalid() {} };

function handlerFor(config: AuthorizerConfig, p: VerifiedPrincipal, now?: number) {
  return createHandler({
    config: { ok: true, config },
    createVerifier: () => tableVerifier({ tok: p }),
    log: QUIET,
    ...(now !== undefined ? { now: () => now * 1000 } : {}),
  });
}

/** The principal the model decides for at `now`: its sign-in judged through the replay window. */
function atInstant(p: VerifiedPrincipal, now: number | undefined, ttl: number): VerifiedPrincipal {
  if (now === undefined || p.assurance === undefined) return p;
  return { ...p, assurance: { ...p.assurance, validThrough: now + ttl } };
}

function baseConfig(routes: readonly RouteSpec[], extra: Partial<AuthorizerConfig>): AuthorizerConfig {
  return {
    version: 1,
    issuers: [{ kind: 'keycloak', issuer: ISSUER, allowedClients: ['keygate-web'] }],
    routes,
    ...extra,
  };
}

interface Decided {
  readonly req: Req;
  readonly arn: string;
  /** undefined: on no keycloak route of the table, or not canonical. */
  readonly routeKey?: string;
  /**
   * Whether API Gateway may send the request to a keycloak route of the table: every request Keygate
   * matched, and every path that is not canonical (the gateway may normalise it onto any route).
   */
  readonly routed: boolean;
  readonly expected: 'allow' | 'deny';
  readonly reason: string;
  /** undefined: refused with a 401 (not cached by API Gateway). */
  readonly response?: AuthorizerResponse;
}

/** The route model's decision for each request, and the handler's answer to it. */
async function decideAll(
  routes: readonly RouteSpec[],
  p: VerifiedPrincipal,
  kind: EventKind,
  requests: readonly Req[],
  config: AuthorizerConfig,
  now?: number,
): Promise<Decided[]> {
  const handler = handlerFor(config, p, now);
  const table = compileRoutes(routes);
  const model = atInstant(p, now, config.resultCacheTtlSeconds ?? 0);
  const out: Decided[] = [];
  for (const req of requests) {
    const decision = authorize(model, table, req.method, req.path);
    const event = apigwEvent(kind, { method: req.method, path: req.path, authorization: 'Bearer tok' });
    let response: AuthorizerResponse | undefined;
    try {
      response = await handler(event);
    } catch (e) {
      // Only a path that is not canonical is refused before the token (401); anything else is a failure.
      expect((e as Error).message).toBe('Unauthorized');
      expect(decision.reason).toBe('path_not_canonical');
    }
    out.push({
      req,
      arn: methodArn(kind, req.method, req.path),
      routeKey: decision.route,
      routed: decision.reason !== 'route_unknown',
      expected: decision.allowed ? 'allow' : 'deny',
      reason: decision.reason,
      response,
    });
  }
  return out;
}

function policyOf(r: AuthorizerResponse): readonly Statement[] {
  if (!('policyDocument' in r)) throw new Error('expected an IAM policy response');
  return r.policyDocument.Statement;
}

/** API Gateway's evaluation of a fresh answer: a 401 (no response) refuses. */
function freshEffect(d: Decided): 'allow' | 'deny' {
  return d.response === undefined ? 'deny' : iamEvaluate(policyOf(d.response), d.arn);
}

/** Fails with the table, the principal and the requests (built only on failure: checks are many). */
function same<T>(got: T, want: T, routes: readonly RouteSpec[], p: VerifiedPrincipal, extra: object): void {
  if (got === want) return;
  const context = JSON.stringify({ routes, principal: { ...p, expiresAt: 0 }, ...extra });
  expect.fail(`expected ${String(want)}, got ${String(got)}: ${context}`);
}

/**
 * The IAM property over one generator: every accepted table's policy, fresh and replayed, equals the
 * decision. `issuers` is the config's trusted issuers (one unless given).
 */
async function checkIamAnswers(
  cases: typeof caseArb,
  issuers?: AuthorizerConfig['issuers'],
  now?: number,
  runs = RUNS,
): Promise<Record<string, number>> {
  const stats = {
    limitCases: 0,
    limitAllowed: 0,
    limitRefused: 0,
    stepUpAllowed: 0,
    stepUpDenied: 0,
    generated: 0,
    accepted: 0,
    checks: 0,
    replays: 0,
    denyResolved: 0,
    crossRoute: 0,
    multiRoute: 0,
    notCanonical: 0,
    notCanonicalReplays: 0,
  };
  await fc.assert(
    fc.asyncProperty(cases, async ({ routes, principal, kind, requests }) => {
      stats.generated++;
      const config = baseConfig(routes, { resultCacheTtlSeconds: TTL, ...(issuers ? { issuers } : {}) });
      if (!validateAuthorizerConfig(config).ok) return;
      stats.accepted++;
      if (routes.filter((r) => r.auth === 'keycloak').length >= 2) stats.multiRoute++;
      const decided = await decideAll(routes, principal, kind, requests, config, now);
      // The join limit: some route grants this principal more combinations than a policy lists.
      const model = atInstant(principal, now, TTL);
      if (routes.some((r) => r.auth === 'keycloak' && !grantedBindings(r, model).complete)) {
        stats.limitCases++;
        for (const d of decided) {
          const limited = routes.find((r) => routeKey(r) === d.routeKey);
          if (limited === undefined || grantedBindings(limited, model).complete) continue;
          if (d.expected === 'allow') stats.limitAllowed++;
          if (d.reason === 'grant_limit_exceeded') stats.limitRefused++;
        }
      }
      for (const first of decided) {
        const stepped = routes.find((r) => `${r.method} ${r.path}` === first.routeKey)?.requirement?.stepUp;
        if (stepped && first.expected === 'allow') stats.stepUpAllowed++;
        if (stepped && first.expected === 'deny') stats.stepUpDenied++;
        // Fresh: the answer to a request decides that request as the route model does.
        same(freshEffect(first), first.expected, routes, principal, { fresh: first.req });
        stats.checks++;
        // A 401 is not cached: nothing to replay.
        if (first.response === undefined) {
          stats.notCanonical++;
          continue;
        }
        const statements = policyOf(first.response);
        for (const next of decided) {
          // Replayed: API Gateway calls the authorizer only for requests on its routes.
          if (next === first || !next.routed) continue;
          const got = iamEvaluate(statements, next.arn);
          same(got, next.expected, routes, principal, { cachedFrom: first.req, replayedFor: next.req });
          stats.replays++;
          if (!isCanonicalPath(next.req.path)) stats.notCanonicalReplays++;
          if (next.routeKey !== first.routeKey && got === 'allow') stats.crossRoute++;
          const allowOnly = statements.filter((s) => s.Effect === 'Allow');
          if (next.expected === 'deny' && iamEvaluate(allowOnly, next.arn) === 'allow') stats.denyResolved++;
        }
      }
    }),
    { numRuns: runs, ...(SEED !== undefined ? { seed: SEED } : {}) },
  );
  // The generator must reach what the property is about: accepted tables with several routes, allows
  // that match another route's requests, and requests only a Deny keeps out.
  // (Checked at full size; a mutation run uses a few hundred cases per mutant.)
  expect(stats.generated).toBe(runs);
  console.info(`policy soundness (IAM, ${issuers?.length ?? 1} issuer(s)): ${JSON.stringify(stats)}`);
  if (runs >= 10_000) {
    expect(stats.accepted / stats.generated).toBeGreaterThan(0.5);
    expect(stats.multiRoute / stats.accepted).toBeGreaterThan(0.3);
    expect(stats.crossRoute).toBeGreaterThan(1000);
    expect(stats.denyResolved).toBeGreaterThan(100);
    expect(stats.notCanonical).toBeGreaterThan(1000);
    expect(stats.notCanonicalReplays).toBeGreaterThan(1000);
    if (now !== undefined) {
      expect(stats.stepUpAllowed).toBeGreaterThan(500);
      expect(stats.stepUpDenied).toBeGreaterThan(500);
    }
  }
  return stats;
}

describe('policy soundness over generated route tables', () => {
  it(`IAM answers: fresh and replayed policies equal the decision (${RUNS} generated cases)`, async () => {
    await checkIamAnswers(caseArb);
  });

  it(`IAM answers with two trusted issuers and scoped routes (${RUNS} generated cases)`, async () => {
    await checkIamAnswers(scopedCaseArb, TWO_ISSUERS);
  });

  it(`IAM answers with step-up requirements and sign-ins of every level and age (${RUNS} generated cases)`, async () => {
    const issuers: AuthorizerConfig['issuers'] = [
      { kind: 'keycloak', issuer: ISSUER, allowedClients: ['keygate-web'], acrLoaMap: ACR_LOA_MAP },
    ];
    await checkIamAnswers(stepUpCaseArb, issuers, NOW);
  });

  const BULK_RUNS = Math.min(RUNS, 1_000);
  it(`IAM answers for principals holding more bound values than a policy lists (${BULK_RUNS} generated cases)`, async () => {
    const stats = await checkIamAnswers(bulkCaseArb, undefined, undefined, BULK_RUNS);
    // The limit is reached, and on a limited route the policy (checked above) and the decision agree both
    // ways: values granted are allowed, values beyond are refused with grant_limit_exceeded.
    console.info(
      `join limit: ${stats.limitCases} of ${stats.accepted} accepted cases reach it; ` +
        `${stats.limitAllowed} requests on a limited route allowed, ${stats.limitRefused} refused beyond it`,
    );
    expect(stats.limitCases).toBeGreaterThan(0);
    expect(stats.limitAllowed).toBeGreaterThan(0);
    expect(stats.limitRefused).toBeGreaterThan(0);
  });

  it(`simple answers: a response cached per token and route key equals the decision (${RUNS} generated cases)`, async () => {
    const stats = { generated: 0, accepted: 0, replays: 0 };
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ routes, principal, requests }) => {
        stats.generated++;
        const config = baseConfig(routes, { responseMode: 'simple', resultCacheTtlSeconds: 300 });
        if (!validateAuthorizerConfig(config).ok) return;
        stats.accepted++;
        const decided = await decideAll(routes, principal, 'http-2.0', requests, config);
        for (const first of decided) {
          const fresh =
            first.response !== undefined && 'isAuthorized' in first.response && first.response.isAuthorized;
          same(fresh, first.expected === 'allow', routes, principal, { fresh: first.req });
          // A 401 is not cached.
          if (first.response === undefined) continue;
          for (const next of decided) {
            // API Gateway's cache key: the token and `$context.routeKey`. A path that is not canonical has
            // no route key here; whichever route API Gateway gives it, an answer cached for that route
            // came from a canonical request of it and holds for every request of the route (no route
            // binds a parameter in simple mode with the cache on).
            if (next.routeKey === undefined || next.routeKey !== first.routeKey) continue;
            same(fresh, next.expected === 'allow', routes, principal, {
              cachedFrom: first.req,
              replayedFor: next.req,
            });
            stats.replays++;
          }
        }
      }),
      { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) },
    );
    if (RUNS >= 10_000) {
      expect(stats.accepted / stats.generated).toBeGreaterThan(0.2);
      expect(stats.replays).toBeGreaterThan(RUNS);
    }
    console.info(`policy soundness (simple): ${JSON.stringify(stats)}`);
  });

  it('with the result cache off, every valid table is answered exactly for the request ARN', async () => {
    let refusedWhenCached = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ routes, principal, kind, requests }) => {
        const config = baseConfig(routes, { resultCacheTtlSeconds: 0 });
        expect(validateAuthorizerConfig(config).ok).toBe(true);
        if (validateRoutes(routes).length > 0) refusedWhenCached++;
        for (const d of await decideAll(routes, principal, kind, requests, config)) {
          same(freshEffect(d), d.expected, routes, principal, { req: d.req });
        }
      }),
      { numRuns: Math.min(RUNS, 2_000), ...(SEED !== undefined ? { seed: SEED } : {}) },
    );
    // Tables that only the exact answer can serve are among them.
    if (RUNS >= 10_000) expect(refusedWhenCached).toBeGreaterThan(100);
  });

  it('the decision refuses only bound values a policy cannot name; other values decide as meetsRequirement', () => {
    fc.assert(
      fc.property(caseArb, ({ routes, principal, requests }) => {
        for (const req of requests) {
          const m = matchRoute(routes, req.method, req.path);
          if (!m || m.route.auth !== 'keycloak') continue;
          const decided = authorize(principal, compileRoutes(routes), req.method, req.path).allowed;
          const model = meetsRequirement(m.route.requirement, principal, m.params);
          const writable =
            isCanonicalPath(req.path) &&
            Object.keys(m.params).every(
              (n) => m.params[n] === m.rawParams[n] && /^[A-Za-z0-9._~@:+=,-]{1,128}$/.test(m.params[n]),
            );
          if (decided) expect(model).toBe(true);
          if (writable) expect(decided).toBe(model);
        }
      }),
      { numRuns: Math.min(RUNS, 2_000), ...(SEED !== undefined ? { seed: SEED } : {}) },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Token binding (common/token-binding.ts): bound routes in generated tables

describe('policy soundness with token binding in generated route tables', () => {
  it('bound tables are refused with the cache on; with it off, allow = decision and a proven binding', async () => {
    const certs = await Promise.all([loopbackCertificate(), loopbackCertificate()]).then((c) =>
      c.map((x) => x.cert),
    );
    const thumb = (pem: string) =>
      createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
    const bindingArb = tableArb.chain((routes) => {
      const keys = routes.filter((r) => r.auth === 'keycloak').map((r) => routeKey(r));
      return fc.record({
        routes: fc.constant(routes),
        bound: fc.subarray(keys),
        principal: principalArb,
        // The token's binding: none, the first certificate, or a value no certificate has.
        cnf: fc.constantFrom<'none' | 'a' | 'other'>('none', 'a', 'other'),
        kind: fc.constantFrom<'rest' | 'http-2.0'>('rest', 'http-2.0'),
        requests: fc.array(
          fc.tuple(requestArb(routes), fc.constantFrom<'none' | 'a' | 'b'>('none', 'a', 'b')),
          { minLength: 1, maxLength: 6 },
        ),
      });
    });
    const stats = { tables: 0, bound: 0, allowed: 0, refusedBinding: 0 };
    await fc.assert(
      fc.asyncProperty(bindingArb, async ({ routes, bound, principal: p0, cnf, kind, requests }) => {
        const tokenBinding = { mtls: { routes: bound } };
        const cached = validateAuthorizerConfig(
          baseConfig(routes, { resultCacheTtlSeconds: 300, tokenBinding }),
        );
        expect(cached.ok).toBe(false);
        const config = baseConfig(routes, { resultCacheTtlSeconds: 0, tokenBinding });
        expect(validateAuthorizerConfig(config).ok).toBe(true);
        stats.tables++;
        const p: VerifiedPrincipal =
          cnf === 'none' ? p0 : { ...p0, cnf: { x5tS256: cnf === 'a' ? thumb(certs[0]) : 'x'.repeat(43) } };
        const handler = createHandler({
          config: { ok: true, config },
          createVerifier: () => tableVerifier({ tok: p }),
          binding: createBindingCheck(config),
          log: QUIET,
        });
        const table = compileRoutes(routes);
        for (const [req, cert] of requests) {
          const decision = authorize(p, table, req.method, req.path);
          const needs = (decision.route !== undefined && bound.includes(decision.route)) || cnf !== 'none';
          if (needs) stats.bound++;
          const proven = !needs || (cnf === 'a' && cert === 'a');
          const e = apigwEvent(kind, { method: req.method, path: req.path, authorization: 'Bearer tok' }) as {
            requestContext: Record<string, unknown>;
          };
          if (cert !== 'none') {
            const clientCert = { clientCertPem: certs[cert === 'a' ? 0 : 1] };
            if (kind === 'rest')
              e.requestContext.identity = { ...(e.requestContext.identity as object), clientCert };
            else e.requestContext.authentication = { clientCert };
          }
          const answer = await handler(e).then(
            (r) => iamEvaluate(policyOf(r), methodArn(kind, req.method, req.path)),
            () => 'unauthorized' as const,
          );
          // A path that is not canonical is refused (401) before any token or binding is looked at.
          const notCanonical = decision.reason === 'path_not_canonical';
          const want = notCanonical || !proven ? 'unauthorized' : decision.allowed ? 'allow' : 'deny';
          if (want === 'allow') stats.allowed++;
          if (want === 'unauthorized' && !notCanonical) stats.refusedBinding++;
          same(answer, want, routes, p, { req, bound, cnf, cert });
        }
      }),
      { numRuns: Math.min(RUNS, 1_000), ...(SEED !== undefined ? { seed: SEED } : {}) },
    );
    console.info(`policy soundness (token binding): ${JSON.stringify(stats)}`);
    expect(stats.allowed).toBeGreaterThan(0);
    expect(stats.refusedBinding).toBeGreaterThan(0);
  });
});
