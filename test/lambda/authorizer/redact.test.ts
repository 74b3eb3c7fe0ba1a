import { describe, expect, it } from 'vitest';
import type { ErrorRule } from '../../../lambda/authorizer/redact';
import { classifyError, describeFetchFailure } from '../../../lambda/authorizer/redact';

// Stand-ins shaped like aws-jwt-verify's hierarchy (every class reports name "Error"); the real table
// lives in verify-token.ts, the only importer of the library.
class JwtBaseError extends Error {}
class JwtInvalidClaimError extends JwtBaseError {}
class JwtExpiredError extends JwtInvalidClaimError {}
class KidNotFoundInJwksError extends JwtBaseError {}

const rules: ErrorRule[] = [
  { type: JwtExpiredError, reason: 'token_expired', label: 'exp is in the past' },
  { type: JwtInvalidClaimError, reason: 'claim_missing', label: 'a claim check failed' },
  { type: KidNotFoundInJwksError, reason: 'kid_unknown', label: 'no signing key with this kid' },
];

describe('classifyError', () => {
  it('maps by class, subclasses first, and never passes the message on', () => {
    const err = new JwtExpiredError('Token expired at 2026-01-01T00:00:00.000Z for sub secret-user');
    expect(classifyError(err, rules)).toEqual({ reason: 'token_expired', detail: 'exp is in the past' });
    expect(classifyError(new JwtInvalidClaimError('Issuer not allowed: https://evil'), rules)).toEqual({
      reason: 'claim_missing',
      detail: 'a claim check failed',
    });
    expect(
      classifyError(new KidNotFoundInJwksError('JWK for kid "../../etc" not found'), rules).detail,
    ).not.toContain('etc');
  });

  it.each<[string, unknown, string]>([
    ['a TypeError', new TypeError('Cannot read secret-value'), 'unexpected TypeError'],
    ['a plain Error', new Error('secret-value'), 'unexpected error'],
    ['a string', 'secret-value', 'unexpected error'],
    ['undefined', undefined, 'unexpected error'],
  ])('fails closed on %s', (_name, err, detail) => {
    expect(classifyError(err, rules)).toEqual({ reason: 'internal_error', detail });
  });
});

describe('describeFetchFailure', () => {
  it.each([
    ['Failed to fetch https://idp/certs: Status code is 503, expected 200', 'http status 503'],
    ['Failed to fetch https://idp/certs: Response time-out (after 2000 ms.)', 'timeout'],
    ['Failed to fetch https://idp/certs: connect ECONNREFUSED 127.0.0.1:443', 'network error ECONNREFUSED'],
    ['Failed to fetch https://idp/certs: getaddrinfo ENOTFOUND idp', 'network error ENOTFOUND'],
    ['Failed to fetch https://idp/certs: self-signed certificate', 'fetch failed'],
  ])('%s → %s', (message, expected) => {
    expect(describeFetchFailure(new Error(message))).toBe(expected);
  });
});
