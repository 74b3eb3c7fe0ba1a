import { describe, expect, it, test } from 'vitest';
import type { ReasonCode } from '../../../common/reason-codes';
import { REASON_CODES } from '../../../common/reason-codes';
import { dpopChallenge, dpopChallengeResponse } from '../../../lambda/authorizer/dpop-challenge';
import { parseEvent } from '../../../lambda/authorizer/parse-event';
import type { EventKind } from '../../fixtures/apigw/events';
import { apigwEvent } from '../../fixtures/apigw/events';

const ALGS = ['ES256', 'PS256'];

function request(kind: EventKind) {
  const parsed = parseEvent(apigwEvent(kind, { method: 'GET', path: '/me', template: '/me' }));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.request;
}

describe('dpopChallenge (RFC 9449 section 7.1)', () => {
  it.each<[ReasonCode, string, string]>([
    ['dpop_proof_missing', 'invalid_dpop_proof', 'A DPoP proof is required'],
    ['dpop_proof_malformed', 'invalid_dpop_proof', 'The DPoP proof is malformed'],
    ['dpop_proof_invalid', 'invalid_dpop_proof', 'The DPoP proof signature or algorithm is not accepted'],
    ['dpop_proof_stale', 'invalid_dpop_proof', 'The DPoP proof is too old or from the future'],
    ['dpop_proof_mismatch', 'invalid_dpop_proof', 'The DPoP proof is for another request or token'],
    ['dpop_proof_replayed', 'invalid_dpop_proof', 'The DPoP proof was already used'],
    ['dpop_key_mismatch', 'invalid_token', 'Invalid DPoP key binding'],
    ['dpop_binding_missing', 'invalid_token', 'The access token is not DPoP-bound'],
  ])('%s: error="%s"', (reason, error, description) => {
    expect(dpopChallenge(reason, ALGS)).toBe(
      `DPoP error="${error}", error_description="${description}", algs="ES256 PS256"`,
    );
  });

  test('every other reason, the replay store outage included, has no challenge', () => {
    const challenged = Object.keys(REASON_CODES).filter(
      (r) => dpopChallenge(r as ReasonCode, ALGS) !== undefined,
    );
    expect(challenged).toHaveLength(8);
    expect(challenged.every((r) => r.startsWith('dpop_'))).toBe(true);
    expect(dpopChallenge('dpop_replay_store_unavailable', ALGS)).toBeUndefined();
    expect(dpopChallenge('token_expired', ALGS)).toBeUndefined();
  });
});

describe('dpopChallengeResponse', () => {
  test('REST: a Deny of the method ARN with the challenge and the reason in its context', () => {
    const req = request('rest');
    expect(dpopChallengeResponse(req, 'dpop_proof_replayed', ALGS)).toEqual({
      principalId: 'anonymous',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [req.resourceArn] }],
      },
      context: {
        stepUp:
          'DPoP error="invalid_dpop_proof", error_description="The DPoP proof was already used", algs="ES256 PS256"',
        reason: 'dpop_proof_replayed',
      },
    });
  });

  it.each<EventKind>(['http-1.0', 'http-2.0'])('%s: none (no gateway response to carry it)', (kind) => {
    expect(dpopChallengeResponse(request(kind), 'dpop_proof_replayed', ALGS)).toBeUndefined();
  });

  test('REST, a reason without a challenge: none', () => {
    expect(dpopChallengeResponse(request('rest'), 'mtls_certificate_missing', ALGS)).toBeUndefined();
  });
});
