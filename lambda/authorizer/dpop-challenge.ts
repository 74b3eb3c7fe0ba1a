/**
 * The `WWW-Authenticate: DPoP` challenge of a refused DPoP request (RFC 9449 section 7.1): `error`
 * `invalid_dpop_proof` when the proof is missing or does not hold, `invalid_token` when the token's
 * binding is (a token without `cnf.jkt`, or bound to another key), and `algs`, the proof algorithms
 * accepted.
 *
 * Where it can be sent:
 * - REST APIs: an authorizer that fails with "Unauthorized" gets API Gateway's UNAUTHORIZED gateway
 *   response, which cannot read anything the authorizer says. So a refused DPoP request on a REST API is
 *   answered with a Deny policy carrying the challenge in its context, as a step-up refusal is; the
 *   ACCESS_DENIED gateway response (SecuredRestApi) maps `$context.authorizer.<key>` to WWW-Authenticate
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-parameter-mapping-sources.html).
 *   Its status is that gateway response's, 403 (fixed per response type), not RFC 9449's 401. With
 *   `tokenBinding` the result cache is off, so the Deny is never replayed for another request.
 * - HTTP APIs have no gateway responses: the refusal stays a 401 without the challenge
 *   (docs/token-binding.md).
 *
 * The replay store being unavailable is Keygate's fault, not the client's: a plain 401, no challenge.
 */
import type { ReasonCode } from '../../common/reason-codes';
import { DPOP_CHALLENGE_CONTEXT_KEY } from '../../common/token-binding';
import type { IamPolicyResponse } from './build-response';
import type { AuthRequest } from './parse-event';

/** `error` and `error_description` per refusal; the descriptions are fixed text (no request data). */
const CHALLENGES: Partial<Record<ReasonCode, readonly [error: string, description: string]>> = {
  dpop_proof_missing: ['invalid_dpop_proof', 'A DPoP proof is required'],
  dpop_proof_malformed: ['invalid_dpop_proof', 'The DPoP proof is malformed'],
  dpop_proof_invalid: ['invalid_dpop_proof', 'The DPoP proof signature or algorithm is not accepted'],
  dpop_proof_stale: ['invalid_dpop_proof', 'The DPoP proof is too old or from the future'],
  dpop_proof_mismatch: ['invalid_dpop_proof', 'The DPoP proof is for another request or token'],
  dpop_proof_replayed: ['invalid_dpop_proof', 'The DPoP proof was already used'],
  dpop_key_mismatch: ['invalid_token', 'Invalid DPoP key binding'],
  dpop_binding_missing: ['invalid_token', 'The access token is not DPoP-bound'],
};

/** The challenge for a refusal, or undefined when the refusal is not a DPoP one the client can act on. */
export function dpopChallenge(reason: ReasonCode, algorithms: readonly string[]): string | undefined {
  const c = CHALLENGES[reason];
  if (c === undefined) return undefined;
  return `DPoP error="${c[0]}", error_description="${c[1]}", algs="${algorithms.join(' ')}"`;
}

/**
 * The REST answer to a DPoP refusal: a Deny of this request's method ARN with the challenge in its
 * context. Undefined for other API kinds and other refusals (the caller then fails with a plain 401).
 */
export function dpopChallengeResponse(
  request: AuthRequest,
  reason: ReasonCode,
  algorithms: readonly string[],
): IamPolicyResponse | undefined {
  if (request.kind !== 'rest') return undefined;
  const challenge = dpopChallenge(reason, algorithms);
  if (challenge === undefined) return undefined;
  return {
    principalId: 'anonymous',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [request.resourceArn] }],
    },
    context: { [DPOP_CHALLENGE_CONTEXT_KEY]: challenge, reason },
  };
}
