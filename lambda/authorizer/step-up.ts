/**
 * Entry point of the authorizer's step-up module (`step-up.js` beside `index.js` in the deployed bundle,
 * a deferred module: lib/internal/lambda-entries.ts), loaded at cold start only by a configuration with
 * step-up (an issuer's `acrLoaMap` or a route's `requirement.stepUp`): the checks of those parts
 * (common/step-up-checks.ts) and the gate the pipeline asks per request (step-up-gate.ts describes it).
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
import type { RouteMatch, RouteSpec } from '../../common/route-model';
import { grantsFor, routeAllows } from '../../common/route-model';
import type { ProfileMemo, StepUpGate, StepUpReason } from './step-up-gate';
import type { VerifiedPrincipal } from './types';

export {
  stepUpIssues,
  validateAcrLoaMap,
  validateStepUp,
  validateStepUpRoutes,
} from '../../common/step-up-checks';

/** The gate of a route table with step-up routes (`stepped`, in table order). */
export function stepUpGateFor(
  config: AuthorizerConfig,
  memo: ProfileMemo,
  stepped: readonly RouteSpec[],
): StepUpGate {
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
      return loginOf(req, maps.get(p.issuer));
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

/** What a sign-in must ask the issuer for to meet `req` (`acr_values`, `max_age`), if anything can. */
function loginOf(req: StepUpRequirement, map: AcrLoaMap | undefined): StepUpLogin | undefined {
  const acrs = req.minLoa !== undefined ? acrValuesFor(map, req.minLoa) : [];
  // `amr` has no authorization-request parameter: a demand for methods alone has no sign-in to offer.
  if (acrs.length === 0 && req.maxAgeSeconds === undefined) return undefined;
  return {
    ...(acrs.length > 0 ? { acrValues: acrs.join(' ') } : {}),
    ...(req.maxAgeSeconds !== undefined ? { maxAge: req.maxAgeSeconds } : {}),
  };
}

function meetsBare(match: RouteMatch, bare: RouteSpec, p: VerifiedPrincipal): boolean {
  return routeAllows({ ...match, route: bare }, p);
}
