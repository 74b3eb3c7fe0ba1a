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
 *
 * The gate itself is in the step-up module (`step-up.ts`, deferred: `step-up.js` in the bundle), which a
 * route table without step-up never loads.
 */
import type { AuthorizerConfig } from '../../common/authorizer-config';
import type { StepUpLogin } from '../../common/step-up';
import type { RouteDecision } from './authorize';
import type { RouteMatch } from '../../common/route-model';
import type { AuthorizerResponse } from './build-response';
import type { VerifiedPrincipal } from './types';
import { stepUpGateFor } from './step-up';

export type StepUpReason = 'step_up_required' | 'acr_unknown';

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
 * The gate for a config, or undefined when no route demands a step-up (nothing to do per request, and the
 * step-up module is not loaded).
 * @param memo where the challenge of a cached answer is kept: the route table's profile answers.
 */
export function createStepUpGate(config: AuthorizerConfig, memo: ProfileMemo): StepUpGate | undefined {
  const stepped = config.routes.filter((r) => r.auth === 'keycloak' && r.requirement?.stepUp !== undefined);
  return stepped.length === 0 ? undefined : stepUpGateFor(config, memo, stepped);
}
