/**
 * Step-up in the request pipeline (common/step-up.ts holds the rules). Two small steps:
 *
 * - `principalFor` sets the instant through which this answer must hold (now plus the result-cache TTL)
 *   and gives back the principal the decision is made for. Decisions, grants and IAM answers are kept per
 *   entitlement profile (authorize.ts, the profile-answers cache); with step-up they also depend on which
 *   step-up requirements of the table the sign-in meets through that instant (the mask). So the principal
 *   handed on carries the mask as its `variant`, which the profile's answers are kept under: a hit is then
 *   a hit for the same entitlements AND the same step-up results, and a sign-in growing too old for a
 *   route (a new mask) is decided afresh. No cache of its own: the answers live with the profile's. A
 *   table without step-up routes gets the principal back untouched.
 * - `annotate` adds the RFC 9470 challenge to the answer's context (`stepUp`), which the REST
 *   ACCESS_DENIED gateway response sends as `WWW-Authenticate`. A cached IAM answer is replayed for every
 *   route, so its challenge is the join of the step-up requirements of every route the caller's
 *   entitlements would open but the sign-in does not (meeting it opens them all); an answer for one
 *   request (result cache off, or a simple response cached per route key) names that route's own.
 */
import type { AuthorizerConfig } from '../../common/authorizer-config';
import { acrLoaMapOf, issuerUrl } from '../../common/authorizer-config';
import type { AcrLoaMap, StepUpLogin, StepUpRequirement } from '../../common/step-up';
import {
  acrValuesFor,
  joinStepUp,
  meetsStepUp,
  STEP_UP_CONTEXT_KEY,
  stepUpChallenge,
  UNKNOWN_TTL_SECONDS,
} from '../../common/step-up';
import type { RouteDecision } from './authorize';

type StepUpReason = 'step_up_required' | 'acr_unknown';
import type { RouteMatch, RouteSpec } from '../../common/route-model';
import { grantsFor, routeAllows } from '../../common/route-model';
import type { AuthorizerResponse } from './build-response';
import type { VerifiedPrincipal } from './types';

export interface StepUpGate {
  /** The principal to decide for at this instant (seconds since epoch). */
  principalFor(principal: VerifiedPrincipal, nowSeconds: number): VerifiedPrincipal;
  /**
   * Why a refused request on this route is a step-up refusal (`step_up_required`, `acr_unknown`), or
   * undefined when the route's other requirements are not met either (`route_forbidden` stands).
   */
  reasonFor(match: RouteMatch, principal: VerifiedPrincipal): StepUpReason | undefined;
  /** A refusal with its step-up reason, when it is one. */
  refine(decision: RouteDecision, match: RouteMatch, principal: VerifiedPrincipal): RouteDecision;
  /**
   * What a browser's sign-in must ask the issuer for to meet this route's step-up (`acr_values`,
   * `max_age` for /auth/login), when the caller falls short of it alone; else undefined.
   */
  loginFor(match: RouteMatch, principal: VerifiedPrincipal): StepUpLogin | undefined;
  /** The response with the challenge in its context when the caller falls short of a step-up. */
  annotate(
    response: AuthorizerResponse,
    principal: VerifiedPrincipal,
    match: RouteMatch | undefined,
    perRequest: boolean,
  ): AuthorizerResponse;
}

/** Keeps an answer with the principal's profile answers (RouteTable.derived). */
export type ProfileMemo = <T>(principal: VerifiedPrincipal, name: string, compute: () => T) => T;

/**
 * The gate for a config, or undefined when no route demands a step-up (nothing to do per request).
 * @param memo where the challenge of a cached answer is kept: the route table's profile answers.
 */
export function createStepUpGate(config: AuthorizerConfig, memo: ProfileMemo): StepUpGate | undefined {
  const stepped = config.routes.filter((r) => r.auth === 'keycloak' && r.requirement?.stepUp !== undefined);
  if (stepped.length === 0) return undefined;
  const distinct = [...new Set(stepped.map((r) => JSON.stringify(r.requirement?.stepUp)))].map(
    (j) => JSON.parse(j) as StepUpRequirement,
  );
  // The route without its step-up: what the caller's entitlements alone would open.
  const bare = new Map<RouteSpec, RouteSpec>(
    stepped.map((r) => [r, { ...r, requirement: { ...r.requirement, stepUp: undefined } }]),
  );
  const maps = new Map<string, AcrLoaMap | undefined>(
    config.issuers.map((i) => [issuerUrl(i), acrLoaMapOf(i)]),
  );
  const ttl = config.resultCacheTtlSeconds ?? UNKNOWN_TTL_SECONDS;

  function principalFor(p: VerifiedPrincipal, nowSeconds: number): VerifiedPrincipal {
    const validThrough = nowSeconds + ttl;
    let mask = '';
    for (const req of distinct) mask += meetsStepUp(req, p.assurance, validThrough) ? '1' : '0';
    return { ...p, assurance: { ...(p.assurance ?? { amr: [] }), validThrough }, variant: mask };
  }

  /** Routes whose step-up alone keeps the caller out (bound routes: for some value the caller holds). */
  function shortOf(p: VerifiedPrincipal): StepUpRequirement[] {
    const out: StepUpRequirement[] = [];
    for (const r of stepped) {
      const req = r.requirement?.stepUp as StepUpRequirement;
      if (meetsStepUp(req, p.assurance)) continue;
      const b = bare.get(r) as RouteSpec;
      if (grantsFor([b], p).allow.length > 0) out.push(req);
    }
    return out;
  }

  /** Per profile (issuer, entitlements) and variant (step-up results), kept with the profile's answers. */
  function challengeOf(p: VerifiedPrincipal): string | undefined {
    return memo(p, 'stepUpChallenge', () => {
      const join = joinStepUp(shortOf(p));
      return join === undefined ? undefined : stepUpChallenge(join, maps.get(p.issuer));
    });
  }

  function reasonFor(match: RouteMatch, p: VerifiedPrincipal): StepUpReason | undefined {
    const req = match.route.requirement?.stepUp;
    const b = bare.get(match.route);
    if (req === undefined || b === undefined || meetsStepUp(req, p.assurance)) return undefined;
    if (!meetsBare(match, b, p)) return undefined;
    return req.minLoa !== undefined && p.assurance?.acrUnknown === true ? 'acr_unknown' : 'step_up_required';
  }

  return {
    principalFor,
    reasonFor,
    loginFor(match, p) {
      const req = match.route.requirement?.stepUp;
      if (req === undefined || reasonFor(match, p) === undefined) return undefined;
      const acrs = req.minLoa !== undefined ? acrValuesFor(maps.get(p.issuer), req.minLoa) : [];
      // `amr` has no authorization-request parameter: a demand for methods alone has no sign-in to offer.
      if (acrs.length === 0 && req.maxAgeSeconds === undefined) return undefined;
      return {
        ...(acrs.length > 0 ? { acrValues: acrs.join(' ') } : {}),
        ...(req.maxAgeSeconds !== undefined ? { maxAge: req.maxAgeSeconds } : {}),
      };
    },
    refine(decision, match, p) {
      if (decision.reason !== 'route_forbidden') return decision;
      const reason = reasonFor(match, p);
      return reason === undefined ? decision : { ...decision, reason };
    },
    annotate(response, p, match, perRequest) {
      let challenge: string | undefined;
      if (perRequest) {
        const req = match?.route.requirement?.stepUp;
        if (req !== undefined && match !== undefined && reasonFor(match, p) !== undefined)
          challenge = stepUpChallenge(req, maps.get(p.issuer));
      } else {
        challenge = challengeOf(p);
      }
      if (challenge === undefined) return response;
      return { ...response, context: { ...response.context, [STEP_UP_CONTEXT_KEY]: challenge } };
    },
  };
}

function meetsBare(match: RouteMatch, bare: RouteSpec, p: VerifiedPrincipal): boolean {
  return routeAllows({ ...match, route: bare }, p);
}
