/**
 * The authorizer's structured log contract. The authorizer writes one JSON line per decision with these
 * fields; the constructs put CloudWatch metric filters and alarms on them. Shared so neither side can drift.
 */

/** `message` of the one line logged per request. */
export const DECISION_MESSAGE = 'authorizer decision';
/** `message` of the line logged when a JWKS fetch fails. */
export const JWKS_FAILURE_MESSAGE = 'jwks fetch failed';

/** Outcome field values: allow; deny = valid token without permission (403); unauthorized = 401. */
export type DecisionOutcome = 'allow' | 'deny' | 'unauthorized';

/** Field names of the decision line (Powertools Logger puts them at the top level of the JSON). */
export const DECISION_FIELDS = {
  decision: 'decision',
  reason: 'reason',
  route: 'route',
  iss: 'iss',
  kid: 'kid',
  sub: 'sub',
  azp: 'azp',
  durationMs: 'durationMs',
  /** true when the verified-claims cache answered */
  cached: 'cachedClaims',
} as const;

/** Field of the JWKS failure line: the issuer whose JWKS failed. */
export const JWKS_FAILURE_ISSUER_FIELD = 'jwksIssuer';

/** CloudWatch metric namespace for Keygate's metric filters. */
export const METRIC_NAMESPACE = 'Keygate';
