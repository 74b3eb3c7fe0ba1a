/**
 * Machine-readable reasons for every authorizer decision. Used in the decision log, metrics, tests,
 * the local gateway and docs/reason-codes.md. Add a code here, never inline a string elsewhere.
 */
export const REASON_CODES = {
  // allow
  allowed: 'allow',
  // 401 — no usable token
  token_missing: 'no token in the configured sources',
  token_malformed: 'not a compact JWS, bad base64/JSON, wrong segment count, or too large',
  token_ambiguous: 'more than one token presented',
  issuer_untrusted: 'iss is not exactly one of the trusted issuers (nothing was fetched)',
  alg_not_allowed: 'header alg not in the issuer allow-list (none, HS*, PS* ...)',
  header_forbidden: 'header carries jwk, jku, x5u, x5c or an unknown crit',
  kid_unknown: 'no signing key with this kid, even after a rate-limited JWKS refetch',
  signature_invalid: 'signature does not verify',
  token_expired: 'exp is in the past (beyond the clock skew)',
  token_not_yet_valid: 'nbf or iat is in the future (beyond the clock skew)',
  claim_missing: 'a required claim (exp, sub, ...) is absent or wrongly typed',
  token_type_invalid: 'Keycloak typ is not Bearer, or Cognito token_use is not access',
  client_not_allowed: 'azp / client_id not in the allow-list',
  audience_not_allowed: 'aud not in the allow-list (an aud of only account does not count)',
  claims_malformed: 'role, scope or group claims have the wrong shape',
  jwks_unavailable: 'the JWKS could not be fetched or parsed (timeout, network, bad JSON)',
  jwks_too_large: 'the JWKS response exceeds 256 KB or lists more than 100 keys; it was not read further',
  // 401 — browser session cookie (sign-in)
  session_malformed:
    'the session cookie(s) are not a well-formed envelope (bad chunking, encoding or content)',
  session_key_unknown: 'the session was sealed with a key id the keyring no longer holds',
  session_tampered: 'the session envelope fails AES-GCM authentication (altered, truncated or forged)',
  session_expired: 'the session has passed its expiry',
  session_keys_unavailable: 'the cookie keys could not be read; sessions cannot be opened',
  // 403 — a cookie (session or token cookie) on a state-changing method without a same-origin proof
  csrf_rejected:
    'cookie session or token cookie on a state-changing method without same-origin Origin / Sec-Fetch-Site or CSRF header',
  // 403 — valid token, no permission
  route_forbidden: 'the requirement of this route is not met',
  route_unknown: 'the request is not on a route of the table',
  // deny — the event or the function itself
  event_unrecognized: 'the event is not a REST or HTTP API REQUEST authorizer event',
  config_invalid: 'the function configuration is invalid; every request is denied',
  internal_error: 'an unexpected error; denied (fail closed)',
  usage_key_unavailable: "the API key of the caller's usage tier could not be read; denied (fail closed)",
} as const;

export type ReasonCode = keyof typeof REASON_CODES;

/**
 * Reasons that mean "no valid identity" (401) rather than "identity without permission" (403). A CSRF
 * refusal is a 403: the session is valid, the request is not allowed.
 */
export function isUnauthenticated(reason: ReasonCode): boolean {
  return (
    reason !== 'allowed' &&
    reason !== 'route_forbidden' &&
    reason !== 'route_unknown' &&
    reason !== 'csrf_rejected'
  );
}
